"""The lab: a real local government cloud on loopback for the demo and the tests."""
