"""coviu-slack: book Coviu telehealth video sessions from Slack."""

__version__ = "0.1.0"
