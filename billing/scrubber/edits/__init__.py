"""The edit functions, one per named edit: (claim, context) -> Problems. Registered in
``billing.scrubber.registry``."""
