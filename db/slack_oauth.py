"""slack_sdk's OAuth tables (installations, bots, states) built on our MetaData, so that
Alembic creates them (migration 0008_installations) and the model comparison in the tests sees them.

The stores (`AsyncSQLAlchemyInstallationStore`, `AsyncSQLAlchemyOAuthStateStore`) build the
same tables on their own MetaData and read and write them by these names."""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from db.models import Base

INSTALLATIONS = "slack_installations"
BOTS = "slack_bots"
STATES = "slack_oauth_states"

installations = SQLAlchemyInstallationStore.build_installations_table(Base.metadata, INSTALLATIONS)
bots = SQLAlchemyInstallationStore.build_bots_table(Base.metadata, BOTS)
states = SQLAlchemyOAuthStateStore.build_oauth_states_table(Base.metadata, STATES)
