"""Provider resolution: flag > env > profile > default, and probing local servers."""

import json

import httpx
import pytest

from sixhats_ai.backends.provider import LOCAL_PLACEHOLDER_KEY, ProviderFlags, resolve_provider
from sixhats_ai.config import Config, Profile, load_config
from sixhats_ai.errors import ConfigError, UsageError

CONFIG = Config(
    default_profile="work",
    profiles={
        "work": Profile(base_url="https://work.example/v1", model="work-model", api_key="wk"),
        "local": Profile(
            base_url="http://localhost:11434/v1", model="llama3.1", models={"black": "qwen"}
        ),
    },
    models={"synthesis": "big"},
)


def test_flag_beats_env_beats_profile():
    env = {
        "OPENAI_BASE_URL": "https://env.example/v1",
        "OPENAI_API_KEY": "ek",
        "SIXHATS_MODEL": "env-model",
    }
    flags = ProviderFlags(base_url="https://flag.example/v1", api_key="fk", model="flag-model")
    p = resolve_provider(flags, CONFIG, env)
    assert (p.base_url, p.api_key, p.model) == ("https://flag.example/v1", "fk", "flag-model")
    p = resolve_provider(ProviderFlags(), CONFIG, env)
    assert (p.base_url, p.api_key, p.model) == ("https://env.example/v1", "ek", "env-model")
    p = resolve_provider(ProviderFlags(), CONFIG, {})
    assert (p.base_url, p.api_key, p.model) == ("https://work.example/v1", "wk", "work-model")


def test_profile_chosen_by_flag_or_env_and_local_needs_no_key():
    p = resolve_provider(ProviderFlags(profile="local"), CONFIG, {})
    assert p.api_key == LOCAL_PLACEHOLDER_KEY and p.model == "llama3.1"
    p = resolve_provider(ProviderFlags(), CONFIG, {"SIXHATS_PROFILE": "local"})
    assert p.base_url == "http://localhost:11434/v1"


def test_model_per_hat_and_role():
    p = resolve_provider(ProviderFlags(profile="local"), CONFIG, {})
    assert p.model_for("hat", "black", None) == "qwen"
    assert p.model_for("synthesis", "blue", None) == "big"
    assert p.model_for("hat", "white", None) == "llama3.1"
    assert p.model_for("hat", "black", "from-program") == "from-program"


def test_api_key_from_named_env_var():
    config = Config(profiles={"o": Profile(api_key_env="MY_KEY")})
    p = resolve_provider(ProviderFlags(profile="o"), config, {"MY_KEY": "mk"})
    assert p.api_key == "mk" and p.base_url is None and p.model == "gpt-4o-mini"


def test_remote_url_without_key_is_a_config_error():
    with pytest.raises(ConfigError) as err:
        resolve_provider(
            ProviderFlags(base_url="https://remote.example/v1", model="m"), Config(), {}
        )
    assert "needs an API key" in err.value.one_line()


def test_unknown_profile():
    with pytest.raises(ConfigError, match="unknown profile 'nope'"):
        resolve_provider(ProviderFlags(profile="nope"), CONFIG, {})


def test_probe_finds_the_first_local_server(no_network):
    no_network.get("http://127.0.0.1:11434/v1/models").mock(side_effect=httpx.ConnectError("no"))
    no_network.get("http://127.0.0.1:1234/v1/models").mock(
        return_value=httpx.Response(200, json={"data": [{"id": "qwen2.5-7b"}]})
    )
    no_network.get("http://127.0.0.1:8080/v1/models").mock(side_effect=httpx.ConnectError("no"))
    p = resolve_provider(ProviderFlags(), Config(), {})
    assert p.base_url == "http://127.0.0.1:1234/v1" and p.model == "qwen2.5-7b"
    assert p.api_key == LOCAL_PLACEHOLDER_KEY and "LM Studio" in p.origin


def test_nothing_answers_explains_how_to_configure(cli, no_network):
    no_network.get(url__regex=r"http://127\.0\.0\.1:\d+/v1/models").mock(
        side_effect=httpx.ConnectError("no")
    )
    result = cli("analyze", "Should we?")
    assert result.code == 2
    assert "no model server is configured" in result.err
    assert "OPENAI_API_KEY" in result.err and "--profile" in result.err
    assert "Traceback" not in result.err


def test_config_says_nothing_is_configured_as_analyze_would(cli, no_network):
    no_network.get(url__regex=r"http://127\.0\.0\.1:\d+/v1/models").mock(
        side_effect=httpx.ConnectError("no")
    )
    result = cli("config")
    assert result.code == 0, result.err
    assert "model:        none: analyze would stop here: no model server is configured" in (
        result.out
    )
    assert "gpt-4o-mini" not in result.out  # the default names no model that would run


@pytest.mark.loopback
def test_config_names_the_model_the_server_serves_as_analyze_uses(cli, standin, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", standin.url)  # a server, and no model named
    standin.reset(record=True)
    shown = cli("config")
    assert shown.code == 0, shown.err
    ran = cli("analyze", "Should we?", "--program", "quick-feedback", "--format", "json")
    assert ran.code == 0, ran.err
    (used,) = json.loads(ran.out)["metadata"]["models"]
    assert used != "gpt-4o-mini"
    assert f"model:        {used} at {standin.url} (configured)" in shown.out
    assert f"tokens for {used} at {standin.url}" in shown.out
    standin.reset()


def test_config_file_errors_name_the_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[profiles.x]\nbase_ur = 'typo'\n")
    with pytest.raises(UsageError, match=r"config.toml: profiles.x.base_ur"):
        load_config(path)
    path.write_text("[profiles\n")
    with pytest.raises(UsageError, match="TOML syntax error"):
        load_config(path)


def test_config_file_profile_used_by_the_cli(cli, no_network, tmp_path, monkeypatch):
    from tests.fakes import FakeLLM

    fake = FakeLLM()
    no_network.post("http://localhost:9999/v1/chat/completions").mock(side_effect=fake)
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "config.toml").write_text(
        '[profiles.local]\nbase_url = "http://localhost:9999/v1"\nmodel = "tiny"\n'
    )
    result = cli("analyze", "p", "--profile", "local", "--program", "quick-feedback")
    assert result.code == 0, result.err
    assert {b["model"] for b in fake.requests} == {"tiny"}


def test_a_server_without_a_model_name_uses_the_first_it_lists(no_network):
    route = no_network.get("http://localhost:8080/v1/models").mock(
        return_value=httpx.Response(200, json={"data": [{"id": "qwen"}, {"id": "llama"}]})
    )
    p = resolve_provider(ProviderFlags(base_url="http://localhost:8080/v1"), Config(), {})
    assert p.model == "qwen"
    route.mock(return_value=httpx.Response(404))
    with pytest.raises(ConfigError, match="lists none at /models"):
        resolve_provider(ProviderFlags(base_url="http://localhost:8080/v1"), Config(), {})


def test_a_profile_server_gets_the_profile_key_never_openai_api_key():
    config = Config(
        profiles={
            "router": Profile(
                base_url="https://openrouter.example/api/v1", api_key_env="ROUTER_KEY", model="m"
            ),
            "bare": Profile(base_url="https://remote.example/v1", model="m"),
        }
    )
    env = {"OPENAI_API_KEY": "sk-openai", "ROUTER_KEY": "sk-router"}
    assert resolve_provider(ProviderFlags(profile="router"), config, env).api_key == "sk-router"
    with pytest.raises(ConfigError, match="needs an API key"):
        resolve_provider(ProviderFlags(profile="bare"), config, env)
    # The environment's own server still takes the environment's key.
    env["OPENAI_BASE_URL"] = "https://env.example/v1"
    assert resolve_provider(ProviderFlags(profile="router"), config, env).api_key == "sk-openai"


def test_credentials_in_a_url_are_masked_for_display():
    p = resolve_provider(
        ProviderFlags(base_url="https://user:pw123@host.example/v1", api_key="k", model="m"),
        Config(),
        {},
    )
    assert p.display_url == "https://***@host.example/v1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-tokens", "-5"], "--max-tokens must be more than 0"),
        (["--max-cost", "-1"], "--max-cost cannot be negative"),
        (["--context-window", "0"], "--context-window must be more than 0"),
        (["--concurrency", "0"], "--concurrency must be at least 1"),
        (["--timeout", "nan"], "--timeout must be more than 0 seconds"),  # not a crash per step
        (["--max-cost", "nan"], "--max-cost cannot be negative"),  # not a budget never reached
    ],
)
def test_bad_numbers_are_refused_before_anything_runs(cli, fake_llm, args, message):
    result = cli("analyze", "p", *args)
    assert result.code == 2 and message in result.err
    assert fake_llm.requests == []


def test_a_bad_profile_mode_names_the_field(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[profiles.x]\nmode = "jsonschema"\n')
    with pytest.raises(UsageError, match=r"profiles.x.mode"):
        load_config(path)


def test_a_data_dir_that_is_a_file_is_one_line(cli, fake_llm, tmp_path, monkeypatch):
    (tmp_path / "datafile").write_text("")
    monkeypatch.setenv("SIXHATS_DATA_DIR", str(tmp_path / "datafile"))
    result = cli("analyze", "p", "--program", "quick-feedback")
    assert result.code == 2 and "cannot create the run store's folder" in result.err


def test_a_dry_run_plans_by_the_same_precedence_and_asks_no_server(monkeypatch):
    from sixhats_ai.backends.provider import planned_provider

    monkeypatch.setenv("SIXHATS_MODEL", "env-model")
    planned = planned_provider(ProviderFlags(model="flag-model"), CONFIG)
    assert (planned.model, planned.base_url) == ("flag-model", "https://work.example/v1")
    assert planned_provider(ProviderFlags(), CONFIG).model == "env-model"
    monkeypatch.delenv("SIXHATS_MODEL")
    local = planned_provider(ProviderFlags(profile="local"), CONFIG)
    assert local.model == "llama3.1" and local.api_key == ""
    assert local.model_for("hat", "black", None) == "qwen"


@pytest.mark.parametrize(
    ("flags", "config", "env"),
    [
        (ProviderFlags(profile="openai"), Config(profiles={"openai": Profile()}), {}),
        (ProviderFlags(), Config(profiles={"openai": Profile()}), {"SIXHATS_PROFILE": "openai"}),
        (ProviderFlags(), Config(default_profile="openai", profiles={"openai": Profile()}), {}),
    ],
)
def test_a_chosen_profile_without_its_key_never_falls_back_to_a_local_server(
    no_network, flags, config, env
):
    probe = no_network.get(url__regex=r"http://127\.0\.0\.1:\d+/v1/models").mock(
        return_value=httpx.Response(200, json={"data": [{"id": "local-model"}]})
    )
    for profile in config.profiles.values():
        profile.api_key_env = "OPENAI_API_KEY"
    with pytest.raises(ConfigError) as err:
        resolve_provider(flags, config, env)
    assert err.value.exit_code == 2
    assert "profile 'openai'" in err.value.one_line()
    assert "OPENAI_API_KEY is not set" in err.value.one_line()
    assert not probe.called


def test_a_profile_without_a_key_variable_names_openai_api_key(cli, no_network, tmp_path):
    probe = no_network.get(url__regex=r"http://127\.0\.0\.1:\d+/v1/models").mock(
        return_value=httpx.Response(200, json={"data": [{"id": "local-model"}]})
    )
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text('[profiles.remote]\nmodel = "gpt-4o"\n')
    result = cli("analyze", "Should we?", "--profile", "remote")
    assert result.code == 2, result.err
    assert "OPENAI_API_KEY" in result.err and "remote" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert not probe.called


def test_a_server_that_cannot_be_reached_is_not_said_to_list_no_models(no_network):
    no_network.get("http://localhost:8080/v1/models").mock(side_effect=httpx.ConnectError("no"))
    with pytest.raises(ConfigError) as err:
        resolve_provider(ProviderFlags(base_url="http://localhost:8080/v1"), Config(), {})
    assert "cannot reach http://localhost:8080/v1" in err.value.one_line()
    assert "lists none" not in err.value.one_line()


def test_local_servers_are_probed_at_once_with_a_short_timeout(no_network):
    import asyncio

    arrived: list[httpx.Request] = []
    all_three = asyncio.Event()

    async def wait_for_the_others(request: httpx.Request) -> httpx.Response:
        arrived.append(request)
        if len(arrived) == 3:
            all_three.set()
        await asyncio.wait_for(all_three.wait(), 10)  # one at a time would never get here
        raise httpx.ConnectError("nothing listens")

    no_network.get(url__regex=r"http://127\.0\.0\.1:\d+/v1/models").mock(
        side_effect=wait_for_the_others
    )
    with pytest.raises(ConfigError, match="no model server is configured"):
        resolve_provider(ProviderFlags(), Config(), {})
    assert len(arrived) == 3
    assert {r.extensions["timeout"]["connect"] for r in arrived} == {0.3}
    assert {r.extensions["timeout"]["read"] for r in arrived} == {0.3}


@pytest.mark.parametrize("key", [False, True], ids=["nothing configured", "an OpenAI key"])
def test_a_model_file_without_local_says_to_add_local(
    cli, no_network, fake_llm, tmp_path, monkeypatch, key
):
    no_network.get(url__regex=r"http://127\.0\.0\.1:\d+/v1/models").mock(
        side_effect=httpx.ConnectError("no")
    )
    for name in ("OPENAI_BASE_URL", "SIXHATS_MODEL") + (() if key else ("OPENAI_API_KEY",)):
        monkeypatch.delenv(name)
    (tmp_path / "my-model.gguf").write_bytes(b"GGUF")
    monkeypatch.chdir(tmp_path)
    for dry_run in ([], ["--dry-run"]):
        result = cli("analyze", "Should we?", "--model", "./my-model.gguf", *dry_run)
        assert result.code == 2, result.err
        assert result.err.splitlines() == [
            "error: --model ./my-model.gguf is a model file, and a model file runs on the "
            "local engine (add --local)"
        ]
    assert not fake_llm.requests


def test_a_named_server_gets_a_model_file_path_as_its_model(cli, fake_llm, tmp_path, monkeypatch):
    """vLLM serves a GGUF file under its path: a server named by the run gets the name."""
    (tmp_path / "my-model.gguf").write_bytes(b"GGUF")
    monkeypatch.chdir(tmp_path)
    result = cli(
        "analyze", "Should we?", "--model", "./my-model.gguf", "--program", "quick-feedback"
    )
    assert result.code == 0, result.err
    assert {request["model"] for request in fake_llm.requests} == {"./my-model.gguf"}
