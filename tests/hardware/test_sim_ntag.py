"""The simulated NTAG21x against the datasheet, frame by frame, with no nfcpy in between."""

from __future__ import annotations

import pytest

from hardware.readers.sim import (
    NTAG213,
    NTAG215,
    NTAG216,
    SimulatedField,
    SimulatedMifareClassic,
    SimulatedNtag,
)
from hardware.readers.sim.field import radio_time
from hardware.readers.sim.iso14443a import State, reader_select
from hardware.readers.sim.ntag import ACK, NAK_AUTHLIM, NAK_INVALID

UID = bytes.fromhex("04A1B2C3D4E5F6")


def active(tag: SimulatedNtag) -> SimulatedNtag:
    """Power the tag up and select it, as a reader does before any command."""
    tag.power_off()
    assert reader_select(tag.process) == (b"\x44\x00", 0x00, tag.uid)
    return tag


def cmd(tag: SimulatedNtag, hex_frame: str) -> bytes | None:
    return tag.process(bytes.fromhex(hex_frame))


def test_anticollision_sends_the_cascade_levels_with_bcc() -> None:
    tag = SimulatedNtag(UID)
    assert cmd(tag, "26") == b"\x44\x00"
    cl1 = cmd(tag, "9320")
    assert cl1 == bytes.fromhex("8804A1B2") + bytes([0x88 ^ 0x04 ^ 0xA1 ^ 0xB2])
    assert cmd(tag, "9370" + cl1.hex()) == b"\x04"  # cascade bit: the UID goes on
    cl2 = cmd(tag, "9520")
    assert cl2 is not None and cl2[:4] == UID[3:]
    assert cmd(tag, "9570" + cl2.hex()) == b"\x00"
    assert tag.state is State.ACTIVE


def test_a_halted_tag_wakes_only_on_wupa() -> None:
    tag = active(SimulatedNtag(UID))
    assert cmd(tag, "5000") is None
    assert cmd(tag, "26") is None
    assert cmd(tag, "52") == b"\x44\x00"


def test_direct_select_of_a_known_uid_and_of_another_uid() -> None:
    tag = SimulatedNtag(UID)
    assert reader_select(tag.process, UID) == (b"\x44\x00", 0x00, UID)
    tag.power_off()
    assert reader_select(tag.process, bytes.fromhex("04000000000000")) is None


@pytest.mark.parametrize("model", [NTAG213, NTAG215, NTAG216])
def test_get_version_and_factory_memory(model) -> None:
    tag = active(SimulatedNtag(UID, model))
    assert cmd(tag, "60") == model.version
    page0_3 = cmd(tag, "3000")
    assert page0_3[:3] == UID[:3] and page0_3[4:8] == UID[3:]
    assert page0_3[12:16] == bytes([0xE1, 0x10, model.cc_size, 0x00])
    assert cmd(tag, "3004")[:8] == model.factory_data
    assert cmd(tag, f"30{model.cfg0:02x}")[:8] == bytes.fromhex("040000FF00050000")


def test_read_rolls_over_to_page_zero_and_hides_pwd_and_pack() -> None:
    tag = active(SimulatedNtag(UID))
    data = cmd(tag, "302B")  # PWD, PACK, then pages 0 and 1
    assert data[:8] == bytes(8)
    assert data[8:12] == tag.page(0) and data[12:16] == tag.page(1)


def test_read_beyond_the_memory_is_a_nak_that_sends_the_tag_to_idle() -> None:
    tag = active(SimulatedNtag(UID))
    assert cmd(tag, "302D") == NAK_INVALID
    assert tag.state is State.IDLE
    assert cmd(tag, "3004") is None  # nothing until it is selected again (nfcpy trap 4)
    active(tag)
    assert cmd(tag, "3004") is not None


def test_fast_read_returns_the_range() -> None:
    tag = active(SimulatedNtag(UID))
    assert cmd(tag, "3A0405") == tag.page(4) + tag.page(5)
    assert cmd(tag, "3A0504") == NAK_INVALID


def test_write_user_page_and_read_only_uid_pages() -> None:
    tag = active(SimulatedNtag(UID))
    assert cmd(tag, "A20411223344") == ACK
    assert tag.page(4) == bytes.fromhex("11223344")
    assert cmd(tag, "A20000000000") == NAK_INVALID
    assert tag.page(0)[:3] == UID[:3]


def test_lock_bits_only_ever_get_set_and_then_lock_pages() -> None:
    tag = active(SimulatedNtag(UID))
    assert cmd(tag, "A2020000F000") == ACK  # L4..L7
    assert cmd(tag, "A2020000000F") == ACK  # zeros do not clear anything; L8..L11
    assert tag.page(2)[2:] == b"\xf0\x0f"
    assert cmd(tag, "A20401020304") == NAK_INVALID
    active(tag)
    assert cmd(tag, "A20801020304") == NAK_INVALID
    active(tag)
    assert cmd(tag, "A20C01020304") == ACK  # L12 is not set


def test_dynamic_lock_bits_lock_two_pages_each_on_ntag213() -> None:
    tag = active(SimulatedNtag(UID))
    assert cmd(tag, "A228010000FF") == ACK  # bit 0: pages 16 and 17; RFUI byte untouched
    assert tag.page(0x28) == bytes.fromhex("010000BD")
    assert cmd(tag, "A21101020304") == NAK_INVALID
    active(tag)
    assert cmd(tag, "A21201020304") == ACK


def test_capability_container_is_one_time_programmable() -> None:
    tag = active(SimulatedNtag(UID))
    assert cmd(tag, "A20300000008") == ACK
    assert tag.page(3) == bytes.fromhex("E1101208")


def test_compatibility_write_takes_the_first_four_of_sixteen_bytes() -> None:
    tag = active(SimulatedNtag(UID))
    assert cmd(tag, "A005") == ACK
    assert cmd(tag, "AABBCCDD" + "00" * 12) == ACK
    assert tag.page(5) == bytes.fromhex("AABBCCDD")


def test_password_protection_takes_effect_at_the_next_power_up() -> None:
    tag = active(SimulatedNtag(UID))
    assert cmd(tag, "A22904000004") == ACK  # AUTH0 = 4, written first as nfcpy does
    assert cmd(tag, "A22B31323334") == ACK  # PWD: still writable in this power cycle
    assert cmd(tag, "A22CAABB0000") == ACK  # PACK
    active(tag)  # field off and on: AUTH0 is latched now
    assert cmd(tag, "A20401020304") == NAK_INVALID
    active(tag)
    assert cmd(tag, "3004") is not None  # PROT not set: reading stays open
    assert cmd(tag, "1B31323335") == NAK_INVALID
    assert tag.state is State.IDLE
    active(tag)
    assert cmd(tag, "1B31323334") == b"\xaa\xbb"
    assert tag.state is State.AUTHENTICATED
    assert cmd(tag, "A20401020304") == ACK


def test_read_protection_with_prot() -> None:
    tag = SimulatedNtag(UID)
    tag.set_password(b"1234", b"\xaa\xbb", auth0=8)
    tag.memory[NTAG213.cfg1 * 4] |= 0x80
    active(tag)
    assert cmd(tag, "3004") == tag.page(4) + tag.page(5) + tag.page(6) + tag.page(7)  # below AUTH0...
    assert cmd(tag, "3008") == NAK_INVALID  # ...a protected start page is not
    active(tag)
    assert cmd(tag, "3006")[8:] == bytes(8)  # protected pages in the range read as zeros
    assert cmd(tag, "1B31323334") == b"\xaa\xbb"
    assert cmd(tag, "3008") == tag.page(8) + tag.page(9) + tag.page(10) + tag.page(11)


def test_authlim_locks_out_guessing_for_good() -> None:
    tag = SimulatedNtag(UID)
    tag.set_password(b"1234", b"\xaa\xbb", auth0=4, authlim=2)
    for _ in range(2):
        active(tag)
        assert cmd(tag, "1B00000000") == NAK_INVALID
    active(tag)
    assert cmd(tag, "1B31323334") == NAK_AUTHLIM  # even the right password, now
    assert tag.failed_auths == 2


def test_cfglck_freezes_the_configuration_pages() -> None:
    tag = active(SimulatedNtag(UID))
    assert cmd(tag, "A22A40050000") == ACK
    active(tag)
    assert cmd(tag, "A22900000004") == NAK_INVALID


def test_signature_and_counter() -> None:
    tag = active(SimulatedNtag(UID))
    signature = cmd(tag, "3C00")
    assert len(signature) == 32 and signature != bytes(32)
    assert cmd(tag, "3902") == NAK_INVALID  # counter disabled by default
    active(tag)
    assert cmd(tag, "A22A10050000") == ACK  # NFC_CNT_EN
    for _ in range(3):
        active(tag)
        cmd(tag, "3004")
        cmd(tag, "3004")  # counted once per power-up
    active(tag)
    assert cmd(tag, "3902") == (3).to_bytes(3, "little")


def test_unknown_commands_get_a_nak() -> None:
    tag = active(SimulatedNtag(UID))
    assert cmd(tag, "1A00") == NAK_INVALID  # MIFARE Ultralight C AUTHENTICATE


def test_mifare_classic_selects_with_sak_08_and_a_4_byte_uid() -> None:
    card = SimulatedMifareClassic(bytes.fromhex("DEADBEEF"))
    assert reader_select(card.process) == (b"\x04\x00", 0x08, bytes.fromhex("DEADBEEF"))
    assert card.process(b"\x30\x04") is None


def test_field_tearing_keeps_the_torn_band_for_a_retap() -> None:
    band = SimulatedNtag(UID)
    field = SimulatedField([], auto_feed=False)
    field.place(band)
    reader_select(field.transceive)
    field.tear_after(1)
    assert field.transceive(bytes.fromhex("A20411111111")) == ACK
    assert field.transceive(bytes.fromhex("A20522222222")) is None
    assert field.tag is None and list(field.stack) == [band]
    assert band.page(5) == bytes.fromhex("340300FE")  # the torn write never landed


def test_field_models_radio_time_from_the_datasheet() -> None:
    read = radio_time(b"\x30\x04", bytes(16))
    assert 0.0018 < read < 0.0021  # ~368 us out, ~1548 us back
    assert radio_time(b"\xa2\x04\x00\x00\x00\x00", ACK) > 0.004
