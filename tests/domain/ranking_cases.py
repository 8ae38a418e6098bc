"""A support lead's routing table: a realistic directory and requests as they reach Slack
(forwarded emails, support-form posts, Slack Connect messages), each with the person or
group who should get it first. Written before the ranking, and not tuned to it.

`.venv/bin/python -m tests.domain.ranking_cases` prints the accuracy and the misses."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.directory import owner_kind, parse_yaml
from bot.domain.ranking import Ranker, TopicEntry

ANA, BEN = "U01ANA", "U01BEN"  # Billing, and its backup
SAM, TOM = "U02SAM", "U02TOM"  # Shipping, and its backup
LEA = "U03LEA"  # Accounts
API_TEAM = "S04APITEAM"  # Integrations: a user group
RAJ = "U05RAJ"  # Returns
MIA, NOAH = "U06MIA", "U06NOAH"  # Sales: two owners
ZOE = "U07ZOE"  # Security
ONBOARDING = "S08ONBOARD"  # Onboarding: a user group

DIRECTORY_YAML = f"""
topics:
  - name: Billing
    owners: [{ANA}]
    backup: {BEN}
    keywords: [invoice, refund, charge, billing, payment, credit card, receipt, vat,
               overcharged, proration]
    description: Invoices, refunds, charges on a card, payment methods, receipts and VAT.
  - name: Shipping & Delivery
    owners: [{SAM}]
    backup: {TOM}
    keywords: [shipping, delivery, tracking, courier, package, parcel, shipment, dispatch,
               customs, express]
    description: Where an order is, delivery dates, couriers, customs and parcels in transit.
  - name: Accounts & Login
    owners: [{LEA}]
    keywords: [login, log in, password, reset password, 2fa, two-factor, locked out, sso,
               username, sign in]
    description: Signing in, passwords, two-factor codes, locked accounts, users and the
      account email.
  - name: Integrations & API
    owners: [{API_TEAM}]
    keywords: [api, webhook, integration, sdk, zapier, salesforce, rate limit, endpoint, oauth,
               access token]
    description: API keys, webhooks, SDKs and third-party integrations like Zapier and
      Salesforce.
  - name: Returns
    owners: [{RAJ}]
    keywords: [return, exchange, rma, return label, wrong size, damaged, defective, faulty,
               send back]
    description: Returning or exchanging items, return labels, damaged or faulty products.
  - name: Sales & Pricing
    owners: [{MIA}, {NOAH}]
    keywords: [quote, pricing, price, discount, enterprise, upgrade, demo, volume, contract,
               seats, renewal]
    description: Quotes, prices, discounts, plan upgrades, enterprise contracts and demos for
      prospects.
  - name: Security & Privacy
    owners: [{ZOE}]
    keywords: [gdpr, personal data, delete my data, privacy, security, vulnerability, breach,
               dpa, phishing, soc 2]
    description: Data protection requests (GDPR access and deletion), security questionnaires,
      vulnerabilities and suspicious activity on an account.
  - name: Onboarding
    owners: [{ONBOARDING}]
    keywords: [onboarding, setup, getting started, training, import, migration, kickoff,
               new customer]
    description: Getting new customers set up, kickoff calls, importing data and training
      sessions.
"""


def directory() -> list[TopicEntry]:
    """The YAML above, through the same parser the bot uses, with owners resolved."""
    entries = []
    for index, spec in enumerate(parse_yaml(DIRECTORY_YAML), start=1):
        entries.append(
            TopicEntry(
                id=index,
                name=spec.name,
                owners=tuple((owner_kind(o), o) for o in spec.owners),
                backup=(owner_kind(spec.backup), spec.backup) if spec.backup else None,
                keywords=spec.keywords,
                description=spec.description,
            )
        )
    return entries


# (request text as Slack delivers it, who should be suggested first)
Table = list[tuple[str, str]]
CASES: Table = [
    # -- Billing
    (
        "Hi, I was charged twice for my March subscription. Can someone refund the duplicate "
        "payment?",
        ANA,
    ),
    (
        "---------- Forwarded message ---------\n"
        "From: Pedro Alvarez &lt;<mailto:pedro@lumen.io|pedro@lumen.io>&gt;\n"
        "Date: Tue, Nov 3, 2026 at 9:12 AM\n"
        "Subject: Invoice INV-20931 wrong company name\n"
        "\n"
        "Hello, our invoice shows our old company name and is missing our VAT number. "
        "Could you reissue it?",
        ANA,
    ),
    (
        "*New support request*\n*Name:* Karen Holt\n"
        "*Email:* <mailto:karen@holtdesign.co|karen@holtdesign.co>\n"
        "*Subject:* Card declined\n"
        "*Message:* My credit card keeps getting declined when I try to pay for the annual plan.",
        ANA,
    ),
    (
        "<@U024BE7LH> quick one – where can I download receipts for the last 6 months? Our "
        "accountant needs them &amp; the portal only shows the latest one.",
        ANA,
    ),
    (
        "We cancelled in September but the money still left our account on October 1st. "
        "Please send it back.",
        ANA,
    ),
    (
        "Can you switch us from monthly to yearly billing and tell me how the proration works?",
        ANA,
    ),
    (
        "Our finance team needs invoices sent to <mailto:ap@northwind.com|ap@northwind.com> "
        "instead of my address from now on.",
        ANA,
    ),
    # -- Shipping & Delivery
    ("Order #48213 still says 'label created' after 5 days. Has it actually shipped?", SAM),
    (
        "The tracking link from DHL shows the package stuck in customs in Frankfurt since "
        "Monday. <https://www.dhl.com/track?id=JD0146|Track shipment>",
        SAM,
    ),
    (
        "Where is my order? It was supposed to arrive last Tuesday and nobody has been in touch.",
        SAM,
    ),
    (
        "---------- Forwarded message ---------\n"
        "Subject: Fwd: Delivery to wrong address\n"
        "\n"
        "The courier left our parcel at number 14 instead of 41. Can you contact them?",
        SAM,
    ),
    ("Do you ship to Norway, and how long does express delivery usually take?", SAM),
    ("Can we change the delivery address on an order that hasn't been dispatched yet?", SAM),
    (
        "hey <!subteam^S0614TZR7|@support> – our pallet from the warehouse was meant to leave "
        "yesterday, any ETA?",
        SAM,
    ),
    # -- Accounts & Login
    ("I can't log in – it says my password is wrong but I just reset it.", LEA),
    (
        "Locked out after too many attempts, please unlock my account "
        "(<mailto:jsmith@contoso.com|jsmith@contoso.com>).",
        LEA,
    ),
    ("Lost my phone and can't get the two-factor code. How do I get back into my account?", LEA),
    ("We need to change the email address on our admin account because Tom left the company.", LEA),
    (
        "*Subject:* SSO\n*Message:* Our Okta SSO stopped working this morning, users get "
        "redirected to an error page.",
        LEA,
    ),
    ("The password reset email never arrives, I checked spam too.", LEA),
    ("How do I add a second user to our workspace so my colleague can sign in?", LEA),
    # -- Integrations & API
    (
        "Your API returns 500 on POST /v2/orders since about 14:00 UTC. Request id req_8f2a.",
        API_TEAM,
    ),
    (
        "Webhooks stopped firing for order.created events – we haven't received one since "
        "yesterday.",
        API_TEAM,
    ),
    ("Is there an official Python SDK, or should we call the REST endpoints directly?", API_TEAM),
    ("Our Zapier integration keeps disconnecting and asking us to re-authorize.", API_TEAM),
    (
        "We're hitting the rate limit (429) when syncing products, can it be raised for our "
        "account?",
        API_TEAM,
    ),
    (
        "<@U07ABC123|maria> the Salesforce sync is duplicating contacts again, see "
        "<https://acme.my.salesforce.com/003xx|this record>",
        API_TEAM,
    ),
    ("Where do I generate an access token for the developer portal?", API_TEAM),
    # -- Returns
    ("I'd like to return the jacket, it's too small. How do I get a return label?", RAJ),
    ("The blender stopped working after two weeks, can I exchange it for a new one?", RAJ),
    ("Hi team, the box arrived completely crushed and two mugs are broken.", RAJ),
    ("Ordered a size M and got an XL. Can I swap it?", RAJ),
    (
        "---------- Forwarded message ---------\n"
        "Subject: RMA request for 3 faulty scanners\n"
        "\n"
        "Three of the scanners from our last order are defective, please advise how to send "
        "them back.",
        RAJ,
    ),
    ("What's your return policy for opened items? I bought it 40 days ago.", RAJ),
    (
        "I sent the shoes back two weeks ago and still haven't got my money. Tracking says you "
        "received them.",
        RAJ,
    ),
    # -- Sales & Pricing
    ("Could you send us a quote for 250 seats on the Business plan?", MIA),
    ("Do you offer discounts for non-profits or education?", MIA),
    (
        "We're evaluating tools for our 2,000-person company – can we book a demo with someone?",
        MIA,
    ),
    (
        "What's the difference in price between Pro and Enterprise? Your pricing page is "
        "unclear about SSO.",
        MIA,
    ),
    (
        "---------- Forwarded message ---------\n"
        "Subject: Renewal – need updated contract\n"
        "\n"
        "Our contract renews on 1 December and legal needs the new terms before signing.",
        MIA,
    ),
    ("We'd like to buy 40 units for our offices – is there a volume price?", MIA),
    (
        "Hi! Thinking about upgrading our team from Starter to Pro, what would it cost us per "
        "month?",
        MIA,
    ),
    # -- Security & Privacy
    ("Under GDPR I request a copy of all personal data you hold about me.", ZOE),
    ("Please delete my account and all my data, I no longer use the service.", ZOE),
    ("Our procurement team needs your SOC 2 report and a signed DPA before we can proceed.", ZOE),
    (
        "I think I found a vulnerability in your login page – the reset token is leaked in the "
        "URL.",
        ZOE,
    ),
    (
        "We received an email pretending to be from you asking staff to enter their card "
        "details. Is this phishing?",
        ZOE,
    ),
    ("Someone logged into my account from Brazil last night and it wasn't me.", ZOE),
    ("Can you fill in our vendor security questionnaire by Friday?", ZOE),
    # -- Onboarding
    ("We just signed – who runs our kickoff call and when can we start?", ONBOARDING),
    ("How do we import our existing customer list from a CSV?", ONBOARDING),
    ("We're migrating from Zendesk, can you help move our historical tickets over?", ONBOARDING),
    ("Could you run a training session for our 12 new agents next week?", ONBOARDING),
    (
        "Getting started guide mentions a setup wizard but I don't see it in my dashboard.",
        ONBOARDING,
    ),
    (
        "*Company:* Brightline Ltd\n*Plan:* Business\n*Message:* We're a new customer and would "
        "like help configuring our workspace for three teams.",
        ONBOARDING,
    ),
    (
        "First week using the product and honestly a bit lost – is there someone who can walk "
        "us through it?",
        ONBOARDING,
    ),
]


def accuracy(
    ranker: Ranker, *, now: datetime, cases: Table = CASES
) -> tuple[int, list[tuple[str, str, list[str]]]]:
    """How many rows get their expected owner first, and (text, expected, got) for the rest."""
    hits, misses = 0, []
    for text, expected in cases:
        got = [suggestion.id for suggestion in ranker.suggest(text, now=now)]
        if got[:1] == [expected]:
            hits += 1
        else:
            misses.append((text, expected, got))
    return hits, misses


def report(ranker: Ranker, *, now: datetime, cases: Table = CASES) -> float:
    hits, misses = accuracy(ranker, now=now, cases=cases)
    share = hits / len(cases)
    shown = hits + sum(expected in got[:3] for _, expected, got in misses)
    print(
        f"ranking accuracy: {hits} of {len(cases)} requests ({share:.1%}) first-choice right, "
        f"{shown} ({shown / len(cases):.1%}) among the 3 suggested"
    )
    for text, expected, got in misses:
        print(f"  miss: expected {expected}, got {got[:2]}: {' '.join(text.split())[:80]}")
    return share


if __name__ == "__main__":
    report(Ranker(directory()), now=datetime.now(UTC))
