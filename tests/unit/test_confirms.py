"""How a batch's confirms settle each message (confirms.py): the rules the relay counts on."""

from types import SimpleNamespace

from services.common.messaging.confirms import ACKED, NACKED, RETURNED, Confirms


def returned(key):
    return SimpleNamespace(properties={"message_id": key})


def test_a_multiple_ack_settles_every_tag_up_to_it_in_this_batch():
    confirms = Confirms(first_tag=11, keys=["a", "b", "c"])
    confirms.ack(12, multiple=True)
    assert confirms.outcome == {"a": ACKED, "b": ACKED}
    assert not confirms.settled
    confirms.ack(13, multiple=False)
    assert confirms.settled and confirms.outcome["c"] == ACKED


def test_tags_of_other_batches_are_ignored():
    confirms = Confirms(first_tag=11, keys=["a", "b"])
    confirms.ack(10, multiple=True)  # a late confirm of the batch before
    confirms.ack(20, multiple=False)
    assert confirms.outcome == {}


def test_a_returned_message_is_not_sent_although_the_broker_acks_it():
    # RabbitMQ sends basic.return for an unroutable mandatory message, then its basic.ack
    confirms = Confirms(first_tag=1, keys=["a", "b"])
    confirms.on_return(None, "talent.events", "cadre_registered", returned("a"))
    confirms.ack(2, multiple=True)
    assert confirms.outcome == {"a": RETURNED, "b": ACKED}


def test_a_nack_means_not_sent_and_a_later_ack_does_not_undo_it():
    confirms = Confirms(first_tag=1, keys=["a", "b", "c"])
    confirms.nack(2, multiple=True)
    confirms.ack(3, multiple=True)
    assert confirms.outcome == {"a": NACKED, "b": NACKED, "c": ACKED}
