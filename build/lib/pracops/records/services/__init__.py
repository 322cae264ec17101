"""Writes to the practice's records. Every change goes through a unit of work (``writes``)."""

from pracops.records.services.resources import (
    create_resource, delete_resource, store_by_identifier, update_resource,
)
from pracops.records.services.writes import Operation, WritePolicy, run_unit

__all__ = ["Operation", "WritePolicy", "create_resource", "delete_resource", "run_unit", "store_by_identifier",
           "update_resource"]
