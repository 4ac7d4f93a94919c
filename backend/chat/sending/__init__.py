"""The send pipeline, one path from a user's message to a stored, counted reply (its modules, in order).

Every way of asking the model goes through here: the REST send, edit and regenerate (plain and
streamed) and the OpenAI-compatible endpoint. It reads in the order a send happens, and no
database work, lock or transaction spans the model call:

1. Prepare: one short database unit that runs the API's checks (authentication...), checks
   ownership, reserves quota (`chat.quota`) and builds the upstream request (`chat.history`);
   `SendAttempt` runs it from async code and says where the caller's quota stands afterwards;
2. Ask the model (`chat.gateway`), plainly or as a stream, keeping the reservation alive;
3. Store: one transaction that stores the exchange and counts it (or, if the chat was deleted
   meanwhile, counts it only when the user has already seen the reply); any failure gives the
   reservation back.

`plan` holds what passes from one step to the next. It speaks in domain results and errors
(`core.errors`); rendering them is the API's job.
"""

from chat.sending.ask import send_complete, send_stream, started
from chat.sending.plan import SendPlan, SendResult
from chat.sending.prepare import SendAttempt, completion_prepare, edit_prepare, regenerate_prepare, send_prepare

__all__ = [
    "SendAttempt",
    "SendPlan",
    "SendResult",
    "completion_prepare",
    "edit_prepare",
    "regenerate_prepare",
    "send_complete",
    "send_prepare",
    "send_stream",
    "started",
]
