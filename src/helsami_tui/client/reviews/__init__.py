"""Lean models of the decision reviews (docs/api.md, "Decisions"): what the renewal, result,
questionnaire and appointment screens show. Each owns its conversion from the portal's JSON.

Like `models`, every reader tolerates missing or wrongly typed values, and all server text stays
plain `str` (untrusted: the UI shows it through `safetext`).
"""

from .common import ReviewTask, number_text
from .renewals import ActiveMedicine, Reason, RenewalReview, RenewalWarning, ReviewAllergy
from .requests import Answer, AppointmentRequest, QuestionnaireReview, patient_thread_ref
from .results import EarlierValue, ResultReview, ReviewObservation

__all__ = [
    "ActiveMedicine",
    "Answer",
    "AppointmentRequest",
    "EarlierValue",
    "QuestionnaireReview",
    "Reason",
    "RenewalReview",
    "RenewalWarning",
    "ResultReview",
    "ReviewAllergy",
    "ReviewObservation",
    "ReviewTask",
    "number_text",
    "patient_thread_ref",
]
