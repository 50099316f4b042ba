"""Where the apps are wired into the interfaces of the apps below them: every wiring is in
this one file (docs/architecture.md, "Reaching up without importing up").

A lower app states what it needs from above as a small interface and imports nothing from
the apps above it; this module, on top of them all, says which higher app answers. A
setting names each bundle by dotted path, and the lower app resolves it on first use, so
nothing below imports this module:

- ``telephony_hooks`` (``settings.TELEPHONY_HOOKS``; ``telephony/hooks.py``): routing
  decides calls and hears of routed calls leaving their queue. Recovery will take the
  unanswered contacts and the replies to texts; until then telephony's do-nothing defaults
  stand (the hand-off is recorded on the call; texts get only keyword replies).

No Django signals: every hook is called directly, inside the transaction of the event.
"""

from __future__ import annotations

from routing.call_router import RoutingCallRouter
from telephony.hooks import TelephonyHooks

telephony_hooks = TelephonyHooks(call_router=RoutingCallRouter())
