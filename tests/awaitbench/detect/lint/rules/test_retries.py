"""AWB107: stacked retries and zero backoff; loops that are not retries are left alone."""

from __future__ import annotations

from tests.awaitbench.detect.lint.helpers import codes_at, lint_text


def test_stacked_and_stormy_are_one_finding_with_both_problems() -> None:
    [finding] = lint_text(
        """
        import openai
        client = openai.AsyncOpenAI(timeout=5)

        async def ask():
            for _ in range(3):
                try:
                    return await client.models.list()
                except openai.APIError:
                    pass
        """,
        "AWB107",
    )
    assert "stacked retries" in finding.message and "no pause" in finding.message


def test_backoff_decorator_with_max_retries_zero_is_fine() -> None:
    source = """
        import backoff, openai
        client = openai.AsyncOpenAI(timeout=5, max_retries=0)

        @backoff.on_exception(backoff.expo, openai.APIError)
        async def ask():
            return await client.models.list()
        """
    assert not codes_at(source, "AWB107")


def test_a_zero_wait_in_a_retry_config_is_reported() -> None:
    source = "import tenacity\nR = tenacity.Retrying(wait=tenacity.wait_fixed(0))\n"
    assert codes_at(source, "AWB107") == [(2, "AWB107")]


def test_a_retry_loop_around_a_helper_that_calls_an_sdk_needs_a_pause() -> None:
    source = """
        import google.generativeai as genai
        model = genai.GenerativeModel("gemini")

        def summarise(text):
            return model.generate_content(text).text

        def summary(text):
            for _ in range(10):
                try:
                    return summarise(text)
                except Exception:
                    pass
        """
    assert codes_at(source, "AWB107") == [(9, "AWB107")]


def test_a_command_loop_that_exits_before_the_call_is_no_retry_loop() -> None:
    source = """
        from openai import AsyncOpenAI
        client = AsyncOpenAI(timeout=5)

        async def console(read):
            while True:
                try:
                    if read() == "exit":
                        break
                    await client.models.list()
                except KeyboardInterrupt:
                    continue
        """
    assert not codes_at(source, "AWB107")


def test_a_loop_that_sends_something_new_each_time_is_a_recovery_not_a_retry() -> None:
    source = """
        from openai import AsyncOpenAI
        client = AsyncOpenAI(timeout=5, max_retries=0)

        async def answer(state):
            while True:
                arguments = state.next_arguments()
                try:
                    return await client.chat.completions.create(**arguments)
                except Exception as error:
                    state.learn_from(error)

        async def retried(messages):
            while True:
                try:
                    return await client.chat.completions.create(model="m", messages=messages)
                except Exception:
                    continue
        """
    assert codes_at(source, "AWB107") == [(14, "AWB107")]
