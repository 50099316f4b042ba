"""Twilio's webhooks, under /twilio/: POST only, signed by Twilio, CSRF-exempt."""

from django.urls import path

from telephony import webhooks

app_name = "telephony"

urlpatterns = [
    path("voice/incoming", webhooks.voice_incoming, name="voice-incoming"),
    path("voice/status", webhooks.voice_status, name="voice-status"),
    path("voice/dial-action", webhooks.voice_dial_action, name="voice-dial-action"),
    path("voice/queue-action", webhooks.voice_queue_action, name="voice-queue-action"),
    path("voice/queue-wait", webhooks.voice_queue_wait, name="voice-queue-wait"),
    path("voice/record-action", webhooks.voice_record_action, name="voice-record-action"),
    path("voice/recording-status", webhooks.voice_recording_status, name="voice-recording-status"),
    path("voice/transcription", webhooks.voice_transcription, name="voice-transcription"),
    path(
        "voice/callback-keypress",
        webhooks.voice_callback_keypress,
        name="voice-callback-keypress",
    ),
    path("sms/incoming", webhooks.sms_incoming, name="sms-incoming"),
    path("sms/status", webhooks.sms_status, name="sms-status"),
]
