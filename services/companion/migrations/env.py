from services.companion.models import metadata
from shared.migrate import run_env

run_env(metadata)
