"""A small SMTP server on loopback for the tests of the mail queue: it speaks enough of RFC 5321 for
smtplib (greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), keeps what it received, and can
drop its first connections (a mail server that is down) or never greet (one that hangs)."""

from __future__ import annotations

import socket
import threading


class FakeSMTP:
    def __init__(self, *, drop_first: int = 0, hang: bool = False):
        self.messages: list[bytes] = []
        self.connections = 0
        self.drop_first, self.hang = drop_first, hang
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            self._open.append(connection)
            if self.connections <= self.drop_first:
                connection.close()
            elif not self.hang:
                threading.Thread(target=self._session, args=(connection,), daemon=True).start()

    def _session(self, connection: socket.socket) -> None:
        with connection, connection.makefile("rb") as lines:
            connection.sendall(b"220 fake smtp\r\n")
            for line in lines:
                verb = line[:4].upper()
                if verb == b"DATA":
                    connection.sendall(b"354 end with a dot\r\n")
                    body = b""
                    for data_line in lines:
                        if data_line == b".\r\n":
                            break
                        body += data_line
                    self.messages.append(body)
                    connection.sendall(b"250 queued\r\n")
                elif verb == b"QUIT":
                    connection.sendall(b"221 bye\r\n")
                    return
                else:  # EHLO, HELO, MAIL, RCPT, RSET, NOOP
                    connection.sendall(b"250 ok\r\n")

    def close(self) -> None:
        self._listener.close()
        for connection in self._open:
            connection.close()
