"""The fax channel (priorauth.payers.fax.FaxAdapter) and its gateways."""

from priorauth.payers.fax.adapter import FaxAdapter

__all__ = ["FaxAdapter"]
