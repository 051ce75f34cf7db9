"""A real SMTP server on loopback (aiosmtpd) that records what arrives, with optional faults."""

from __future__ import annotations

from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class LoopbackController(Controller):
    """aiosmtpd on 127.0.0.1 with a port the OS picks (no clashes between test runs)."""

    def __init__(self, handler: object, **smtp_options: object) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=0, **smtp_options)

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class Recorder:
    """Records every accepted message. Optional faults: refuse RCPTs, defer once, drop after DATA."""

    def __init__(self, *, refuse: set[str] = frozenset(), defer_once: set[str] = frozenset(),
                 drop_on_message: int | None = None) -> None:
        self.envelopes: list[tuple[str, list[str], bytes]] = []
        self.sessions = 0
        self.refuse, self.deferred, self.drop_on_message = set(refuse), set(defer_once), drop_on_message
        self.data_count = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: ANN001
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        if address in self.deferred:
            self.deferred.discard(address)
            return "451 4.7.1 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        self.data_count += 1
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        if self.data_count == self.drop_on_message:
            # The whole message arrived, but the client never hears "250": the F7 ambiguity.
            server.transport.abort()
        return "250 2.0.0 Queued"

    def messages(self):  # noqa: ANN201
        return [message_from_bytes(content, policy=policy.default) for _, _, content in self.envelopes]

    @property
    def recipients(self) -> list[str]:
        return [r for _, rcpts, _ in self.envelopes for r in rcpts]
