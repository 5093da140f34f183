"""The one exception the codec raises for bad input from the network."""


class PacketError(ValueError):
    """A datagram or attribute that is not valid RADIUS.

    The server drops such packets (and counts them); it never crashes on one. Messages name the
    problem and never contain secrets or passwords.
    """
