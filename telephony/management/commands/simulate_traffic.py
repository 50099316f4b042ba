"""``manage.py simulate_traffic --org SLUG --day YYYY-MM-DD``: a day of signed Twilio webhooks.

Sends to ``--base-url`` over HTTP when given (a running server whose PUBLIC_BASE_URL is
``--public-url``), else in process through Django's test client. Idempotent for a day: the
same seed and day produce the same SIDs, so a second run only sends duplicates.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from telephony import simulator


class Command(BaseCommand):
    help = "Drive the Twilio webhooks with a realistic, signed day of calls and texts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="The organisation's slug.")
        parser.add_argument("--day", required=True, help="The day to simulate, YYYY-MM-DD.")
        parser.add_argument(
            "--rate",
            type=float,
            default=simulator.DEFAULT_RATE,
            help="Mean calls per location on a weekday (weekends get a third).",
        )
        parser.add_argument(
            "--base-url", default="", help="Send over HTTP to this server (else in process)."
        )
        parser.add_argument(
            "--public-url",
            default="",
            help="The URL the server believes Twilio calls (its PUBLIC_BASE_URL); "
            "signatures are computed over it. Default: this process's PUBLIC_BASE_URL.",
        )
        parser.add_argument("--seed", default=simulator.DEFAULT_SEED)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = date.fromisoformat(options["day"])
        except ValueError as error:
            raise CommandError("--day must be YYYY-MM-DD") from error
        public_url = options["public_url"] or settings.PUBLIC_BASE_URL
        transport: simulator.Transport
        if options["base_url"]:
            transport = simulator.HttpTransport(options["base_url"], public_url)
        else:
            transport = simulator.InProcessTransport(public_url)
        report = simulator.simulate_day(
            options["org"],
            day,
            rate=options["rate"],
            seed=options["seed"],
            public_url=public_url,
            transport=transport,
        )
        calls = sum(v for k, v in report.scenarios.items() if not k.startswith("text_"))
        texts = sum(v for k, v in report.scenarios.items() if k.startswith("text_"))
        self.stdout.write(
            f"{options['org']} {day}: {calls} calls, {texts} texts, {report.requests} webhooks "
            f"sent; answers {dict(sorted(report.by_status.items()))}"
        )
        for scenario, count in sorted(report.scenarios.items()):
            self.stdout.write(f"  {scenario:<24} {count}")
        if report.errors:
            raise CommandError(f"{report.errors} webhooks were refused or failed")
