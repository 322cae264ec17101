"""The prior-authorization request packet: ``packet_context`` (plain inputs to what prints),
then ``render_packet`` (WeasyPrint, PDF bytes). Both pure: no ORM, no I/O beyond the package's
own template and stylesheet."""

from priorauth.packet.context import PacketContext, PacketInputError, PacketNote, packet_context
from priorauth.packet.render import render_packet

__all__ = ["PacketContext", "PacketInputError", "PacketNote", "packet_context", "render_packet"]
