"""Intake: approved scripts worked as fast forms on live calls, conflict checks, leads,
appointments and cases with escalation, handoffs, and QA (docs/intake.md)."""
