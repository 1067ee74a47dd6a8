"""Intake forms (issue 29, item 4): a service's questions, answered by the patient, sealed like notes."""
