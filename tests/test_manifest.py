"""The Slack app manifest and Procfile: what installing and deploying the app relies on."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_the_coviu_command_is_declared_with_a_usage_hint_and_escaped_mentions():
    [command] = manifest()["features"]["slash_commands"]
    assert command["command"] == "/coviu"
    assert "tomorrow 3pm" in command["usage_hint"]
    assert command["should_escape"] is True  # mentions arrive as <@U…|name>
    assert command["url"].endswith("/slack/events")


def test_requests_go_to_the_one_endpoint_the_app_serves():
    settings = manifest()["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["interactivity"]["request_url"].endswith("/slack/events")
    assert settings["event_subscriptions"]["request_url"].endswith("/slack/events")
    assert settings["event_subscriptions"]["bot_events"] == [
        "app_home_opened",
        "user_change",
        "app_uninstalled",  # clean-up on uninstall (Marketplace review asks for it)
        "tokens_revoked",
    ]


def test_the_install_flow_comes_back_to_the_apps_redirect_path_with_the_manifests_scopes():
    from bot.slack.oauth import BOT_SCOPES, REDIRECT_PATH

    config = manifest()["oauth_config"]
    [redirect] = config["redirect_urls"]
    assert redirect.endswith(REDIRECT_PATH)
    assert sorted(BOT_SCOPES) == sorted(config["scopes"]["bot"])
    assert "im:write" not in BOT_SCOPES


def test_the_app_asks_for_the_least_scopes_that_work():
    assert sorted(manifest()["oauth_config"]["scopes"]["bot"]) == [
        "chat:write",  # DMs (by user id: no im:write) and ephemeral answers
        "commands",  # /coviu
        "im:history",  # after a crash, whether a DM already reached Slack
        "users:read",  # users.info for names and time zones
    ]


def test_the_home_tab_is_on():
    assert manifest()["features"]["app_home"]["home_tab_enabled"] is True
