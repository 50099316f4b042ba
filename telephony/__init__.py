"""Twilio webhooks in, Twilio calls and texts out: calls, contacts, messages and consent."""
