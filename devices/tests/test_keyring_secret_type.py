"""A decrypted credential is a Secret: masked in every textual form, never serialized."""

import json
import logging
import pickle

import pytest

from devices.keyring import Secret

PLAIN = "hunter2-but-longer"


def test_repr_str_and_formatting_are_masked():
    secret = Secret(PLAIN)
    for shown in (repr(secret), str(secret), f"{secret}", f"{secret!r}", "%s" % (secret,), "{:>40}".format(secret)):  # noqa: UP031, UP032
        assert shown == "Secret('********')"
    assert PLAIN not in repr([secret, {"password": secret}])


def test_reveal_is_the_only_way_to_the_value():
    secret = Secret(PLAIN)
    assert secret.reveal() == PLAIN
    assert not hasattr(secret, "__dict__")
    with pytest.raises(AttributeError):
        secret.value = "x"


def test_cannot_be_pickled_or_json_encoded():
    with pytest.raises(TypeError):
        pickle.dumps(Secret(PLAIN))
    with pytest.raises(TypeError):
        json.dumps({"password": Secret(PLAIN)})


def test_logging_a_secret_shows_the_mask(caplog):
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("devices.test").info("connecting with %s / %r", Secret(PLAIN), Secret(PLAIN))
    assert PLAIN not in caplog.text
    assert "Secret('********')" in caplog.text


def test_equality_compares_values_and_secrets_are_unhashable():
    assert Secret(PLAIN) == Secret(PLAIN)
    assert Secret(PLAIN) != Secret("other")
    with pytest.raises(TypeError):
        hash(Secret(PLAIN))


def test_cannot_become_a_celery_argument():
    from kombu.exceptions import EncodeError
    from kombu.serialization import dumps

    with pytest.raises(EncodeError):
        dumps({"args": [Secret(PLAIN)]}, serializer="json")
