"""Stand-ins for the outside world that PracOps talks to, for the demo and the tests."""
