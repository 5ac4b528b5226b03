"""Character classes of written Chinese that several stages test for: Han characters and digits."""
from __future__ import annotations

import re

# CJK Unified Ideographs Extension A, the Unified Ideographs, and the Compatibility Ideographs
HAN_CLASS = "\u3400-\u9fff\uf900-\ufaff"
HAN = re.compile(f"[{HAN_CLASS}]")
HAN_RUN = re.compile(f"[{HAN_CLASS}]+")
DIGIT_RUN = re.compile(r"[0-9０-９]+")  # ASCII and full-width digits
