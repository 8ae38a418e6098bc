"""Local stand-ins for Slack (a fake Web API, a request simulator) for the demo and tests."""
