/* Module loader: links a relocatable ELF object (a handler module) into memory. */
/*
 * Handler modules are wasm2c output compiled with -mcmodel=large, so every reference to
 * something outside the module is a 64-bit absolute relocation and the module can be
 * placed anywhere. The loader lays out the allocated sections, resolves undefined symbols
 * against `exported_symbols` (the runtime and the handler gate: the only things a module
 * may reach), applies the relocations and returns the module's `optios_module` descriptor.
 * Every offset and size in the image is checked against the image before it is used.
 */
#include "boot.h"
#include "elf.h"
#include "module.h"
#include <assert.h>
#include <math.h>
#include <stdlib.h>

#define MAX_SECTIONS 256
#define SECTION_ALIGNMENT_MAX 4096

int __popcountdi2(uint64_t value);

/* Everything a module may link against, by name. */
static const struct {
  const char* name;
  const void* address;
} exported_symbols[] = {
    {"wasm_rt_trap", wasm_rt_trap},
    {"wasm_rt_is_initialized", wasm_rt_is_initialized},
    {"wasm_rt_register_func_type", wasm_rt_register_func_type},
    {"wasm_rt_allocate_memory", wasm_rt_allocate_memory},
    {"wasm_rt_grow_memory", wasm_rt_grow_memory},
    {"wasm_rt_free_memory", wasm_rt_free_memory},
    {"wasm_rt_allocate_funcref_table", wasm_rt_allocate_funcref_table},
    {"wasm_rt_grow_funcref_table", wasm_rt_grow_funcref_table},
    {"wasm_rt_free_funcref_table", wasm_rt_free_funcref_table},
    {"wasm_rt_call_stack_depth", &wasm_rt_call_stack_depth},
    {"memcpy", memcpy},
    {"memmove", memmove},
    {"memset", memset},
    {"memcmp", memcmp},
    {"abort", abort},
    {"boot_assert_failed", boot_assert_failed},
    {"__popcountdi2", __popcountdi2},
    {"fabs", fabs}, {"fabsf", fabsf}, {"sqrt", sqrt}, {"sqrtf", sqrtf},
    {"floor", floor}, {"floorf", floorf}, {"ceil", ceil}, {"ceilf", ceilf},
    {"trunc", trunc}, {"truncf", truncf}, {"nearbyint", nearbyint}, {"nearbyintf", nearbyintf},
    {"copysign", copysign}, {"copysignf", copysignf},
    {"fmin", fmin}, {"fmax", fmax}, {"fminf", fminf}, {"fmaxf", fmaxf},
    MODULE_GATE_SYMBOLS
};

static const void* find_exported(const char* name) {
  for (uint64_t i = 0; i < sizeof exported_symbols / sizeof exported_symbols[0]; i++) {
    const char* a = exported_symbols[i].name;
    const char* b = name;
    while (*a && *a == *b) a++, b++;
    if (*a == *b) return exported_symbols[i].address;
  }
  return NULL;
}

static int inside(uint64_t offset, uint64_t length, uint64_t size) {
  return offset <= size && length <= size - offset;
}

static const struct elf_header* relocatable_header(const uint8_t* image, uint64_t size, int* error) {
  const struct elf_header* header = (const struct elf_header*)image;
  if (size < sizeof *header || *(const uint32_t*)image != ELF_MAGIC) {
    *error = MODULE_ERROR_NOT_ELF;
    return NULL;
  }
  if (header->identification[4] != ELF_CLASS_64 || header->identification[5] != ELF_DATA_LITTLE_ENDIAN ||
      header->type != ELF_TYPE_RELOCATABLE || header->machine != ELF_MACHINE_X86_64) {
    *error = MODULE_ERROR_NOT_RELOCATABLE_X86_64;
    return NULL;
  }
  if (header->section_header_size != sizeof(struct elf_section) || header->section_header_count > MAX_SECTIONS ||
      !inside(header->section_header_offset, (uint64_t)header->section_header_count * sizeof(struct elf_section), size)) {
    *error = MODULE_ERROR_TRUNCATED;
    return NULL;
  }
  return header;
}

/* Offsets of each allocated section in the linked image; returns the total, or 0 on error. */
static uint64_t lay_out(const struct elf_section* sections, uint32_t count, uint64_t image_size, uint64_t* offsets) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < count; i++) {
    const struct elf_section* section = &sections[i];
    offsets[i] = 0;
    if (!(section->flags & SECTION_FLAG_ALLOCATE)) continue;
    if (section->type != SECTION_NOBITS && !inside(section->offset, section->size, image_size)) return 0;
    uint64_t alignment = section->alignment ? section->alignment : 1;
    if (alignment > SECTION_ALIGNMENT_MAX || (alignment & (alignment - 1))) return 0;
    total = (total + alignment - 1) & ~(alignment - 1);
    offsets[i] = total;
    total += section->size;
  }
  return total ? total : 1;
}

uint64_t module_image_bytes(const uint8_t* image, uint64_t size, int* error) {
  const struct elf_header* header = relocatable_header(image, size, error);
  if (!header) return 0;
  uint64_t offsets[MAX_SECTIONS];
  uint64_t bytes = lay_out((const struct elf_section*)(image + header->section_header_offset),
                           header->section_header_count, size, offsets);
  if (!bytes) *error = MODULE_ERROR_TRUNCATED;
  return bytes;
}

static int apply_relocation(uint8_t* place, uint32_t type, uint64_t symbol, int64_t addend) {
  uint64_t value = symbol + (uint64_t)addend;
  int64_t relative = (int64_t)(value - (uint64_t)place);
  switch (type) {
    case RELOCATION_NONE: return 1;
    case RELOCATION_64: memcpy(place, &value, 8); return 1;
    case RELOCATION_PC64: memcpy(place, &relative, 8); return 1;
    case RELOCATION_PC32:
    case RELOCATION_PLT32:
      if (relative != (int32_t)relative) return 0;
      memcpy(place, &(int32_t){(int32_t)relative}, 4);
      return 1;
    case RELOCATION_32:
      if (value != (uint32_t)value) return 0;
      memcpy(place, &(uint32_t){(uint32_t)value}, 4);
      return 1;
    case RELOCATION_32_SIGNED:
      if ((int64_t)value != (int32_t)value) return 0;
      memcpy(place, &(int32_t){(int32_t)value}, 4);
      return 1;
  }
  return 0;
}

const struct module_descriptor* module_link(const uint8_t* image, uint64_t size, uint8_t* destination, int* error,
                                            const char** detail) {
  *detail = NULL;
  const struct elf_header* header = relocatable_header(image, size, error);
  if (!header) return NULL;
  const struct elf_section* sections = (const struct elf_section*)(image + header->section_header_offset);
  uint32_t count = header->section_header_count;
  uint64_t offsets[MAX_SECTIONS];
  uint64_t total = lay_out(sections, count, size, offsets);
  if (!total) return (*error = MODULE_ERROR_TRUNCATED, NULL);
  for (uint32_t i = 0; i < count; i++) {
    if (!(sections[i].flags & SECTION_FLAG_ALLOCATE)) continue;
    if (sections[i].type == SECTION_NOBITS) memset(destination + offsets[i], 0, sections[i].size);
    else memcpy(destination + offsets[i], image + sections[i].offset, sections[i].size);
  }
  const struct module_descriptor* descriptor = NULL;
  for (uint32_t table = 0; table < count; table++) {
    if (sections[table].type != SECTION_SYMBOL_TABLE) continue;
    const struct elf_section* names = sections[table].link < count ? &sections[sections[table].link] : NULL;
    if (!names || !inside(sections[table].offset, sections[table].size, size) || !inside(names->offset, names->size, size))
      return (*error = MODULE_ERROR_TRUNCATED, NULL);
    const struct elf_symbol* symbols = (const struct elf_symbol*)(image + sections[table].offset);
    uint64_t symbol_count = sections[table].size / sizeof(struct elf_symbol);
    const char* strings = (const char*)(image + names->offset);
    if (names->size == 0 || strings[names->size - 1] != 0) return (*error = MODULE_ERROR_TRUNCATED, NULL);

    /* Resolve every symbol to an address once; relocations then only look them up. */
    for (uint32_t relocations = 0; relocations < count; relocations++) {
      const struct elf_section* section = &sections[relocations];
      if (section->type != SECTION_RELOCATIONS_WITH_ADDENDS || section->link != table) continue;
      if (section->info >= count || !(sections[section->info].flags & SECTION_FLAG_ALLOCATE)) continue;
      if (!inside(section->offset, section->size, size)) return (*error = MODULE_ERROR_TRUNCATED, NULL);
      const struct elf_relocation* entries = (const struct elf_relocation*)(image + section->offset);
      uint8_t* target = destination + offsets[section->info];
      for (uint64_t i = 0; i < section->size / sizeof(struct elf_relocation); i++) {
        uint64_t symbol_index = entries[i].info >> 32;
        if (symbol_index >= symbol_count || !inside(entries[i].offset, 8, sections[section->info].size))
          return (*error = MODULE_ERROR_TRUNCATED, NULL);
        const struct elf_symbol* symbol = &symbols[symbol_index];
        if (symbol->name >= names->size) return (*error = MODULE_ERROR_TRUNCATED, NULL);
        uint64_t address;
        if (symbol->section == SECTION_INDEX_UNDEFINED) {
          address = (uint64_t)find_exported(strings + symbol->name);
          if (!address) return (*detail = strings + symbol->name, *error = MODULE_ERROR_UNDEFINED_SYMBOL, NULL);
        } else if (symbol->section == SECTION_INDEX_ABSOLUTE) {
          address = symbol->value;
        } else if (symbol->section < count && (sections[symbol->section].flags & SECTION_FLAG_ALLOCATE)) {
          address = (uint64_t)destination + offsets[symbol->section] + symbol->value;
        } else {
          return (*detail = strings + symbol->name, *error = MODULE_ERROR_BAD_RELOCATION, NULL);
        }
        if (!apply_relocation(target + entries[i].offset, (uint32_t)entries[i].info, address, entries[i].addend))
          return (*detail = strings + symbol->name, *error = MODULE_ERROR_BAD_RELOCATION, NULL);
      }
    }
    for (uint64_t i = 0; i < symbol_count; i++) {
      const struct elf_symbol* symbol = &symbols[i];
      if (symbol->name >= names->size || symbol->section == SECTION_INDEX_UNDEFINED || symbol->section >= count) continue;
      const char* name = strings + symbol->name;
      const char* wanted = "optios_module";
      while (*wanted && *wanted == *name) wanted++, name++;
      if (*wanted == 0 && *name == 0)
        descriptor = (const struct module_descriptor*)(destination + offsets[symbol->section] + symbol->value);
    }
  }
  if (!descriptor) return (*error = MODULE_ERROR_NO_DESCRIPTOR, NULL);
  if (descriptor->abi_version != MODULE_ABI_VERSION) return (*error = MODULE_ERROR_ABI_MISMATCH, NULL);
  return descriptor;
}
