"""Reading the customer out of request text as Slack delivers it (mrkdwn, mailto links)."""

from __future__ import annotations

import pytest

from bot.domain.customer import customer_for, extract_customer
from bot.domain.types import Customer, PersonInfo

FORWARDED_EMAIL = (
    "---------- Forwarded message ---------\n"
    "From: Jane Doe &lt;<mailto:jane.doe@acme.com|jane.doe@acme.com>&gt;\n"
    "Date: Fri, Mar 15, 2024 at 10:30 AM\n"
    "Subject: Charged twice\n"
    "To: &lt;<mailto:support@ourco.example|support@ourco.example>&gt;\n"
    "\n"
    "Hi, I was charged twice for order #12345. Call me on +1 (415) 555-0100."
)
SUPPORT_FORM = (
    "*New support request*\n"
    "*Name:* Jane Doe\n"
    "*Email:* <mailto:jane@acme.com|jane@acme.com>\n"
    "*Phone:* +44 20 7946 0958\n"
    "*Order:* #12345\n"
    "*Message:* The parcel never arrived."
)

CASES = [
    pytest.param(
        FORWARDED_EMAIL,
        Customer("Jane Doe", "jane.doe@acme.com", "+1 (415) 555-0100"),
        id="forwarded-email",
    ),
    pytest.param(
        SUPPORT_FORM, Customer("Jane Doe", "jane@acme.com", "+44 20 7946 0958"), id="support-form"
    ),
    pytest.param(
        'From: "Jane Doe" <mailto:jane@acme.com|jane@acme.com>\nWhere is my refund?',
        Customer("Jane Doe", "jane@acme.com", None),
        id="from-quoted-name-mailto",
    ),
    pytest.param(
        "*From:* Jane Doe <mailto:jane@acme.com|jane@acme.com>\nhello",
        Customer("Jane Doe", "jane@acme.com", None),
        id="bold-from",
    ),
    pytest.param(
        "From: <mailto:jane@acme.com|jane@acme.com>\nhello",
        Customer(None, "jane@acme.com", None),
        id="from-address-only-has-no-name",
    ),
    pytest.param(
        "Customer: Ravi Patel\nPhone: 020 7946 0958\nBroadband down since Monday",
        Customer("Ravi Patel", None, "020 7946 0958"),
        id="uk-national-phone",
    ),
    pytest.param(
        "Please call Jane back on +44 20 7946 0958 about the invoice",
        Customer(None, None, "+44 20 7946 0958"),
        id="uk-international-phone-in-prose",
    ),
    pytest.param(
        "Sender: Jane Doe\nCall (415) 555-0100 after 5pm",
        Customer("Jane Doe", None, "(415) 555-0100"),
        id="us-area-code-in-brackets",
    ),
    pytest.param(
        "Phone: <tel:+14155550100|+1 (415) 555-0100>",
        Customer(None, None, "+1 (415) 555-0100"),
        id="tel-link",
    ),
    pytest.param(
        "Email me at <mailto:jane@acme.com|jane@acme.com>.",
        Customer(None, "jane@acme.com", None),
        id="mailto-in-prose",
    ),
    pytest.param(
        "Hi, my order never arrived and nobody answers. Can someone help?",
        Customer(None, None, None),
        id="no-contact",
    ),
    pytest.param(
        "Order #12345 placed on 2024-03-15 has not shipped.",
        Customer(None, None, None),
        id="order-and-iso-date-are-not-phones",
    ),
    pytest.param(
        "Order #48213377 was cancelled on 15.03.2024 at 10:30",
        Customer(None, None, None),
        id="long-order-and-dotted-date-are-not-phones",
    ),
    pytest.param(
        "Ticket created 2024-03-15 10:30 by the web form.\nPhone: 020 7946 0958",
        Customer(None, None, "020 7946 0958"),
        id="date-first-then-the-real-phone",
    ),
    pytest.param(
        "Refund of $1,250.00 requested; ref <https://shop.example/orders/123456789|order page>",
        Customer(None, None, None),
        id="amount-and-link-are-not-phones",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_extract_customer_reads_name_email_and_phone(text: str, expected: Customer) -> None:
    assert extract_customer(text) == expected


def test_extract_customer_of_empty_text_finds_nothing() -> None:
    assert extract_customer("") == Customer(None, None, None)


JANE = PersonInfo(user_id="U_JANE", name="jane", real_name="Jane Doe", email="jane@acme.com")


def test_customer_written_by_a_person_is_that_persons_profile() -> None:
    text = "From: Someone Else <mailto:other@x.com|other@x.com>\nCall me on 020 7946 0958"
    assert customer_for(JANE, text) == Customer("Jane Doe", "jane@acme.com", "020 7946 0958")


def test_customer_written_by_a_person_without_email_falls_back_to_the_text() -> None:
    person = PersonInfo(user_id="U_JANE", name="jane")
    text = "reach me at <mailto:jane@home.example|jane@home.example>"
    assert customer_for(person, text) == Customer("jane", "jane@home.example", None)


def test_customer_written_by_a_bot_is_read_from_the_text() -> None:
    bot = PersonInfo(user_id="U_FORMS", real_name="Web Forms", is_bot=True)
    assert customer_for(bot, SUPPORT_FORM) == Customer(
        "Jane Doe", "jane@acme.com", "+44 20 7946 0958"
    )


def test_customer_without_a_known_author_is_read_from_the_text() -> None:
    assert customer_for(None, FORWARDED_EMAIL) == extract_customer(FORWARDED_EMAIL)
    assert customer_for(None, FORWARDED_EMAIL).name == "Jane Doe"
