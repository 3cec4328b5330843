"""dcctl: control toolkit of the national data centre and its government private cloud."""

__version__ = "0.1.0"
