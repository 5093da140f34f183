"""RADIUS protocol layer: codec, crypto, authentication methods and a UDP client.

Pure Python and importable without Django settings, so the RADIUS server process, the benchmark
and the tests can all use it. The public names are re-exported here; see README "RADIUS protocol
layer".
"""

from radius.protocol.dictionary import DEFAULT_DICTIONARY, AttributeDef, Dictionary
from radius.protocol.errors import PacketError
from radius.protocol.packet import Code, Packet, decode_packet

__all__ = [
    "DEFAULT_DICTIONARY",
    "AttributeDef",
    "Code",
    "Dictionary",
    "Packet",
    "PacketError",
    "decode_packet",
]
