"""The sandbox payer: a real HTTP Da Vinci PAS endpoint standing for a payer's server."""
