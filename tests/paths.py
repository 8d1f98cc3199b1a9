"""Where tests find the shared data set (QA-FEEDBACK), which lives beside the repository.

CI lays ``shared/`` next to the clone; ``FINEGRAIN_SHARED_DIR`` points elsewhere if needed.
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("FINEGRAIN_SHARED_DIR", REPO_ROOT.parent / "shared"))
QA_FEEDBACK_DEV = SHARED_DIR / "data" / "qa-feedback" / "dev_feedback.json"
