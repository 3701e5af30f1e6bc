/* ELF64 structures and constants used by the module loader (System V ABI, x86-64 supplement). */
#ifndef OPTIOS_ELF_H
#define OPTIOS_ELF_H
#include <stdint.h>

#define ELF_MAGIC 0x464c457fu /* "\x7fELF", little-endian */
#define ELF_CLASS_64 2
#define ELF_DATA_LITTLE_ENDIAN 1
#define ELF_TYPE_RELOCATABLE 1
#define ELF_MACHINE_X86_64 62

#define SECTION_PROGBITS 1
#define SECTION_SYMBOL_TABLE 2
#define SECTION_RELOCATIONS_WITH_ADDENDS 4
#define SECTION_NOBITS 8
#define SECTION_FLAG_ALLOCATE 0x2
#define SECTION_INDEX_UNDEFINED 0
#define SECTION_INDEX_ABSOLUTE 0xfff1
#define SECTION_INDEX_COMMON 0xfff2

#define RELOCATION_NONE 0
#define RELOCATION_64 1
#define RELOCATION_PC32 2
#define RELOCATION_PLT32 4
#define RELOCATION_32 10
#define RELOCATION_32_SIGNED 11
#define RELOCATION_PC64 24

struct elf_header {
  uint8_t identification[16];
  uint16_t type, machine;
  uint32_t version;
  uint64_t entry, program_header_offset, section_header_offset;
  uint32_t flags;
  uint16_t header_size, program_header_size, program_header_count;
  uint16_t section_header_size, section_header_count, section_name_index;
};

struct elf_section {
  uint32_t name, type;
  uint64_t flags, address, offset, size;
  uint32_t link, info;
  uint64_t alignment, entry_size;
};

struct elf_symbol {
  uint32_t name;
  uint8_t info, other;
  uint16_t section;
  uint64_t value, size;
};

struct elf_relocation {
  uint64_t offset;
  uint64_t info; /* symbol index << 32 | type */
  int64_t addend;
};
#endif
