"""The intake: its own form reader reads every form as the standard library does, and a
job keeps what its worker needs and not Slack's verification token."""

from __future__ import annotations

from urllib.parse import parse_qs, quote_plus, urlencode

from conftest import ALICE
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack.intake import parse_form

# Raw form text, hostile included: stray separators, broken and partial escapes, non-ASCII.
RAW = st.text(alphabet=st.sampled_from("ab=&+%2Ff0Cé€ \n;"), max_size=60)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)  # encodable
FIELDS = st.lists(st.tuples(TEXT, TEXT), max_size=8)


def standard(text: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(text, keep_blank_values=True).items()}


@settings(max_examples=500, deadline=None)
@given(RAW)
def test_any_text_reads_as_parse_qs_reads_it(text):
    assert parse_form(text) == standard(text)


@settings(max_examples=300, deadline=None)
@given(FIELDS)
def test_an_encoded_form_reads_back_with_the_first_of_each_name(fields):
    text = urlencode(fields, quote_via=quote_plus)

    first: dict[str, str] = {}
    for name, value in fields:
        first.setdefault(name, value)

    assert parse_form(text) == first == standard(text)


def test_a_recorded_request_keeps_its_answer_address_but_not_slacks_verification_token(
    bot, slack
):
    bot.command(ALICE, 'book "Physio review" with @bob tomorrow 3pm')
    bot.idle()
    [job] = bot.services.store.db.query("select kind, payload from jobs")

    assert job["kind"] == "command:/coviu" and "response_url" in job["payload"]
    assert slack.verification_token not in job["payload"]
