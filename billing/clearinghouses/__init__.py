"""Clearinghouse adapters: how 837P files leave PracOps and 999/277CA/835 files come back.

One module per channel (``sandbox/`` over HTTP, ``filedrop/`` through directories), chosen per
payer (``billing.PayerBillingSettings.clearinghouse``, default settings.BILLING_DEFAULT_CLEARINGHOUSE)
from the registry settings.BILLING_CLEARINGHOUSE_ADAPTERS (``base.adapter_for``).
"""
