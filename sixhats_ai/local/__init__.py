"""The embedded model: llama.cpp in the sixhats process, its model files and how a run picks it.

`catalogue` names the models one can pull, `cache` keeps the pulled files, `select` turns a
run's options or profile into the engine (`sixhats_ai.backends.llama`) or a one-line error.
Nothing here imports llama.cpp or huggingface_hub until a model is loaded or pulled.
"""

INSTALL_HINT = "pip install 'sixhats-ai[local]' (it builds llama.cpp: a few minutes)"
