"""The embedded model: llama.cpp in the sixhats process, its model files and how a run picks it.

`catalogue` names the models one can pull, `cache` keeps the pulled files, `select` turns a
run's options or profile into the engine (`sixhats_ai.backends.llama`) or a one-line error.
Nothing here imports llama.cpp or huggingface_hub until a model is loaded or pulled.
"""

from sixhats_ai.resources import pip_install

INSTALL_HINT = f"{pip_install('local')} (it builds llama.cpp: a few minutes)"
