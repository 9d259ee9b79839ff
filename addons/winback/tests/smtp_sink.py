"""A local SMTP server that keeps what it receives: the test mail server of tests that
send real emails under pytest (Odoo's own test runner skips SMTP altogether)."""

import email
import email.policy
import socketserver
import threading


class SmtpSink(socketserver.ThreadingTCPServer):
    """Listens on a free local port; ``messages`` holds the emails received, parsed."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.messages = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self):
        return self.server_address[1]

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()


class _SmtpHandler(socketserver.StreamRequestHandler):
    def _reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self._reply("220 sink")
        while line := self.rfile.readline():
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb == b"EHLO":
                self._reply("250-sink")
                self._reply("250 8BITMIME")
            elif verb == b"DATA":
                self._reply("354 end with a dot")
                lines = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                self.server.messages.append(
                    email.message_from_bytes(b"".join(lines), policy=email.policy.default)
                )
                self._reply("250 queued")
            elif verb == b"QUIT":
                self._reply("221 bye")
                return
            else:  # HELO, MAIL, RCPT, RSET, NOOP
                self._reply("250 ok")
