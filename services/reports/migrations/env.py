from shared.migrate import run_env
from services.reports.models import metadata

run_env(metadata)
