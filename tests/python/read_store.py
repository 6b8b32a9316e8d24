"""An independent reader of recstore files, written from docs/FORMAT.md alone.

Usage: read_store.py STORE

Checks the header, picks the commit slot, verifies every chunk checksum,
then maps the records with numpy and prints facts about them, one
`key: value` per line, for tests/independent_reader.rs to compare with what
the Rust writer wrote. Exits 1 with `error: ...` on anything wrong.
"""
import fcntl
import os
import struct
import sys
import zlib

import numpy as np

MAGIC = b"\x89RST\r\n\x1a\n"
TYPES = {1: "u1", 2: "i1", 3: "u2", 4: "i2", 5: "u4", 6: "i4", 7: "u8", 8: "i8", 9: "f4", 10: "f8", 11: "b1", 12: "S"}
SIZES = {1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 8, 8: 8, 9: 4, 10: 8, 11: 1, 12: 1}
TEXT = 12


def fail(msg):
    print(f"error: {msg}")
    sys.exit(1)


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def boot_id():
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return bytes.fromhex(f.read().strip().replace("-", ""))
    except OSError:
        return bytes(16)


def take_readers_lock(path):
    """The shared readers' lock (docs/FORMAT.md, "Locks and sharing"), taken
    before anything is read and held while the records are mapped: the
    writer then changes no committed record in place."""
    fd = os.open(path, os.O_RDONLY)
    if hasattr(fcntl, "F_OFD_SETLK"):
        try:
            fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack("hhqqixxxx", fcntl.F_RDLCK, os.SEEK_SET, 0, 0, 0))
        except OSError:
            fail("an in-place update is in progress; try again after the writer's next flush")
    return fd


def main(path):
    lock = take_readers_lock(path)  # noqa: F841 (held until exit)
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != MAGIC:
        fail("not a recstore file")
    (major, minor) = struct.unpack_from("<HH", data, 8)
    if major != 1:
        fail(f"format {major}.{minor}")
    (flags, page, data_offset, schema_offset, schema_len, fingerprint, schema_crc, chunk_records, stride) = (
        struct.unpack_from("<IIIIIQIII", data, 12)
    )
    (sb_crc,) = struct.unpack_from("<I", data, 124)
    if zlib.crc32(data[:124]) != sb_crc:
        fail("superblock crc")
    if flags or page != 4096 or schema_offset != 1536 or data_offset % 4096:
        fail("superblock fields")
    block = data[1536 : 1536 + schema_len]
    if zlib.crc32(block) != schema_crc or fnv1a64(block) != fingerprint:
        fail("schema crc or fingerprint")

    size, align, s_stride, field_count, name_len, strings_len = struct.unpack_from("<IIIIII", block, 0)
    if s_stride != stride or len(block) != 32 + 16 * field_count + strings_len:
        fail("schema lengths")
    strings = block[32 + 16 * field_count :]
    record_name = strings[:name_len].decode()
    fields = []
    for i in range(field_count):
        name_off, nlen, code, fflags, count, offset = struct.unpack_from("<IHBBII", block, 32 + 16 * i)
        name = strings[name_off : name_off + nlen].decode()
        fields.append((name, code, fflags, count, offset))

    def chunks_match(count, table_offset, tail_crc, first_chunk):
        # Chunks from first_chunk on: full ones against the table, the tail
        # against the slot's tail_crc.
        full = count // chunk_records
        chunk_bytes = chunk_records * stride
        for k in range(first_chunk, full):
            start = data_offset + k * chunk_bytes
            (stored,) = struct.unpack_from("<I", data, table_offset + 4 * k)
            if zlib.crc32(data[start : start + chunk_bytes]) != stored:
                return False
        tail = data[data_offset + full * chunk_bytes : data_offset + count * stride]
        return zlib.crc32(tail) == tail_crc

    # The commit slots: the valid one with the highest sequence (rules 1-6),
    # a one-sync slot from another boot only if its check passes (rule 7).
    candidates = []
    # Where the slots lie: a page each right before the data from 1.2 on,
    # 512 and 1024 before.
    if minor >= 2:
        if data_offset < (1536 + schema_len + 4095) // 4096 * 4096 + 8192:
            fail("superblock fields")
        slot_offsets = (data_offset - 8192, data_offset - 4096)
    else:
        slot_offsets = (512, 1024)
    for slot_off in slot_offsets:
        raw = data[slot_off : slot_off + 128]
        seq, count, capacity, table_offset, sflags, tail_crc = struct.unpack_from("<QQQQII", raw, 0)
        checked_from, table_crc = struct.unpack_from("<QI", raw, 56)
        if zlib.crc32(raw[:124]) != struct.unpack_from("<I", raw, 124)[0]:
            continue
        if sflags & ~3 or sflags == 3 or count > capacity or table_offset != data_offset + capacity * stride:
            continue
        if sflags & 1 and raw[40:56] != boot_id():
            continue
        if table_offset + (capacity // chunk_records) * 4 > len(data):
            continue
        if sflags & 2 and (
            checked_from > count or checked_from % chunk_records or (count - checked_from) * stride > 256 << 20
        ):
            continue
        same_boot = boot_id() != bytes(16) and raw[40:56] == boot_id()
        check = (checked_from, table_crc) if sflags & 2 and not same_boot else None
        candidates.append((seq, count, capacity, table_offset, tail_crc, check))
    best = None
    for cand in sorted(candidates, key=lambda c: -c[0]):
        seq, count, capacity, table_offset, tail_crc, check = cand
        if check is not None:
            checked_from, table_crc = check
            table = data[table_offset : table_offset + (count // chunk_records) * 4]
            if zlib.crc32(table) != table_crc:
                continue
            if not chunks_match(count, table_offset, tail_crc, checked_from // chunk_records):
                continue
        best = cand
        break
    if best is None:
        fail("no valid commit")
    seq, count, capacity, table_offset, tail_crc, check = best

    # Every chunk: full chunks against the table, the tail against the slot.
    full = count // chunk_records
    chunk_bytes = chunk_records * stride
    for k in range(full):
        start = data_offset + k * chunk_bytes
        (stored,) = struct.unpack_from("<I", data, table_offset + 4 * k)
        if zlib.crc32(data[start : start + chunk_bytes]) != stored:
            fail(f"bad chunk {k}")
    tail = data[data_offset + full * chunk_bytes : data_offset + count * stride]
    if zlib.crc32(tail) != tail_crc:
        fail(f"bad chunk {full}")

    # The records, mapped with numpy through a dtype built from the schema.
    names, formats, offsets = [], [], []
    for name, code, fflags, n, offset in fields:
        order = ">" if fflags & 2 else "<"
        if code not in TYPES:
            fail(f"field {name} has unknown type code {code}")
        fmt = f"{order}{TYPES[code]}" if SIZES[code] > 1 else TYPES[code]
        names.append(name)
        if code == TEXT:
            formats.append(f"S{n}")  # one text of n bytes, NUL-padded
        else:
            formats.append((fmt, (n,)) if n > 1 else fmt)
        offsets.append(offset)
    dtype = np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": stride})
    records = np.memmap(path, dtype=dtype, mode="r", offset=data_offset, shape=(count,))

    print(f"record: {record_name}")
    print(f"count: {count}")
    print(f"sequence: {seq}")
    print(f"checked_one_sync: {check is not None}")
    print(f"verified_chunks: {full + (1 if tail else 0)}")
    for name in names:
        if name.startswith("_"):
            continue
        column = records[name]
        if column.dtype.kind == "S":
            print(f"first {name}: {column[0].decode()}")
            print(f"last {name}: {column[-1].decode()}")
            continue
        print(f"sum {name}: {int(column.astype(np.int64).sum())}")
        print(f"first {name}: {column[0].tolist()}")
        print(f"last {name}: {column[-1].tolist()}")


if __name__ == "__main__":
    main(sys.argv[1])
