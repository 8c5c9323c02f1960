"""Close every known phone-home before the libraries that do it are imported.

Each of these was seen making network calls on this project's machines, which have no internet: onnxruntime telemetry, Chroma's posthog, Gradio analytics
and huggingface_hub. ``setdefault`` lets an operator opt back in explicitly.
"""

import os

for _name, _value in {
    "ORT_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_name, _value)
