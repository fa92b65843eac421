"""HelsaMi portal: a FHIR R4 inbox backend for patient-portal staff."""

__version__ = "0.1.0"
