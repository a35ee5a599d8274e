"""Heartbeat 3.0.6's wire format: messages and their byte codecs (``message``,
``steady``, ``fields``), and authentication (``auth``).

Pure code: nothing here opens sockets, reads the clock or runs processes (must not import
asyncio, socket, subprocess, time or random). ``decode`` raises only ``DecodeError``;
``Verifier.verify`` raises only ``DecodeError`` or ``AuthError``.

The package imports none of its modules itself: a command-line tool that needs only the
message codec does not load authentication and the configuration model with it.
"""
