/* The malformed executables of badelf.c and badelf_segv.c: make(N) builds file number N
 * in memory, badelf_run(N, DIR) writes it to DIR/f (0755), execve()s it and prints the
 * errno.
 *
 * Each ELF file carries a small payload at its entry point that, should the file run after
 * all, removes the file and DIR, prints "the file ran" and exits 0, so a sandbox that runs
 * a file Linux refuses shows up as a different line rather than a crash. */
#ifndef RVT_BADELF_H
#define RVT_BADELF_H

#include "common.h"
#include <elf.h>

static unsigned char file[8192];
static size_t len;
/* The directory the file is written to (and that the payload removes). */
static const char *badelf_dir;

/* A minimal, plausible x86-64 executable: the ELF header, one PT_LOAD covering the file,
 * and the payload after them. The cases break one thing each. */
static Elf64_Ehdr *ehdr = (Elf64_Ehdr *)file;
static Elf64_Phdr *phdr = (Elf64_Phdr *)(file + sizeof(Elf64_Ehdr));

#define BASE 0x400000UL
#define RAN "the file ran\n"

static void emit(const void *bytes, size_t n)
{
	memcpy(file + len, bytes, n);
	len += n;
}

/* `lea REG, [rip + disp32]` (modrm selects rdi or rsi) pointing at file offset `target`. */
static void lea_rip(unsigned char modrm, size_t target)
{
	unsigned char op[3] = { 0x48, 0x8d, modrm };
	emit(op, 3);
	int disp = (int)target - (int)(len + 4);
	emit(&disp, 4);
}

/* mov eax/edi/edx, imm32; then syscall if `call`. */
static void mov_imm(unsigned char op, unsigned imm, int call)
{
	emit(&op, 1);
	emit(&imm, 4);
	if (call)
		emit("\x0f\x05", 2);
}

/* unlink(FILE); rmdir(DIR); write(1, RAN); exit(0) -- with the strings after the code. */
static void payload(void)
{
	char path[96];
	snprintf(path, sizeof path, "%s/f", badelf_dir);
	size_t code = len, code_len = 3 * 7 + 6 * 5 + 3 * 2 + 4;
	size_t s_file = code + code_len, s_dir = s_file + strlen(path) + 1;
	size_t s_ran = s_dir + strlen(badelf_dir) + 1;
	lea_rip(0x3d, s_file);
	mov_imm(0xb8, 87, 1);
	lea_rip(0x3d, s_dir);
	mov_imm(0xb8, 84, 1);
	lea_rip(0x35, s_ran);
	mov_imm(0xbf, 1, 0);
	mov_imm(0xba, strlen(RAN), 0);
	mov_imm(0xb8, 1, 1);
	mov_imm(0xb8, 60, 0);
	emit("\x31\xff\x0f\x05", 4);
	if (len != s_file) {
		printf("payload layout is wrong\n");
		exit(99);
	}
	emit(path, strlen(path) + 1);
	emit(badelf_dir, strlen(badelf_dir) + 1);
	emit(RAN, strlen(RAN));
}

static void valid_elf(void)
{
	memset(file, 0, sizeof file);
	memcpy(ehdr->e_ident, ELFMAG, SELFMAG);
	ehdr->e_ident[EI_CLASS] = ELFCLASS64;
	ehdr->e_ident[EI_DATA] = ELFDATA2LSB;
	ehdr->e_ident[EI_VERSION] = EV_CURRENT;
	ehdr->e_type = ET_EXEC;
	ehdr->e_machine = EM_X86_64;
	ehdr->e_version = EV_CURRENT;
	ehdr->e_phoff = sizeof(Elf64_Ehdr);
	ehdr->e_ehsize = sizeof(Elf64_Ehdr);
	ehdr->e_phentsize = sizeof(Elf64_Phdr);
	ehdr->e_phnum = 1;
	ehdr->e_shentsize = sizeof(Elf64_Shdr);
	/* Room for a second program header (PT_INTERP cases), then the interpreter name. */
	len = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr) + 64;
	ehdr->e_entry = BASE + len;
	payload();
	phdr->p_type = PT_LOAD;
	phdr->p_flags = PF_R | PF_X;
	phdr->p_vaddr = phdr->p_paddr = BASE;
	phdr->p_filesz = phdr->p_memsz = len;
	phdr->p_align = 0x1000;
}

/* A fixed-seed xorshift generator: the same "random" bytes on every run. */
static void random_bytes(unsigned char *p, size_t n, unsigned long seed)
{
	unsigned long x = seed;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)x;
	}
}

/* A PT_INTERP program header before the PT_LOAD, naming `interp` (with its NUL when
 * `nul`), in the room valid_elf() left for it. */
static void with_interp(const char *interp, int nul)
{
	size_t at = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr);
	size_t n = strlen(interp) + (nul ? 1 : 0);
	memcpy(file + at, interp, n);
	phdr[1] = phdr[0];
	phdr[0] = (Elf64_Phdr){ .p_type = PT_INTERP, .p_flags = PF_R, .p_offset = at,
				.p_filesz = n, .p_memsz = n, .p_align = 1 };
	ehdr->e_phnum = 2;
}

static const char *make(int n)
{
	valid_elf();
	switch (n) {
	case 0:
		len = 0;
		return "an empty file";
	case 1:
		strcpy((char *)file, "echo this is a shell script without #!\n");
		len = strlen((char *)file);
		return "a text file without #!";
	case 2:
		len = SELFMAG;
		return "the ELF magic alone";
	case 3:
		len = EI_NIDENT;
		return "the ELF header cut after e_ident";
	case 4:
		len = 40;
		return "the ELF header cut after e_phoff";
	case 5:
		len = sizeof(Elf64_Ehdr);
		return "a complete ELF header whose program headers are missing";
	case 6: {
		Elf32_Ehdr *h = (Elf32_Ehdr *)file;
		memset(file, 0, sizeof file);
		memcpy(h->e_ident, ELFMAG, SELFMAG);
		h->e_ident[EI_CLASS] = ELFCLASS32;
		h->e_ident[EI_DATA] = ELFDATA2LSB;
		h->e_ident[EI_VERSION] = EV_CURRENT;
		h->e_type = ET_EXEC;
		h->e_machine = EM_386;
		h->e_version = EV_CURRENT;
		h->e_ehsize = sizeof(Elf32_Ehdr);
		h->e_phentsize = sizeof(Elf32_Phdr);
		len = sizeof(Elf32_Ehdr);
		return "a 32-bit i386 ELF header without program headers";
	}
	case 7:
		ehdr->e_machine = EM_AARCH64;
		return "an aarch64 executable";
	case 8:
		ehdr->e_phnum = 0xffff;
		return "e_phnum 65535";
	case 9:
		ehdr->e_phoff = 1 << 20;
		return "e_phoff beyond the end of the file";
	case 10:
		phdr->p_memsz = 16;
		return "a PT_LOAD with p_filesz > p_memsz";
	case 11:
		random_bytes(file, 4096, 0x1234567);
		len = 4096;
		return "4096 random bytes";
	case 12:
		random_bytes(file + SELFMAG, 4096 - SELFMAG, 0x89abcdef);
		len = 4096;
		return "the ELF magic followed by random bytes";
	case 13:
		ehdr->e_type = ET_CORE;
		return "an ET_CORE file";
	case 14:
		ehdr->e_phentsize = 32;
		return "e_phentsize 32";
	case 15:
		with_interp("/nonexistent-rvt/ld.so", 1);
		return "a PT_INTERP naming a missing interpreter";
	case 16:
		with_interp("/lib64/ld-linux-x86-64.so.2", 0);
		return "a PT_INTERP without its NUL";
	case 17:
		strcpy((char *)file, "#!/nonexistent-rvt/interpreter\n");
		len = strlen((char *)file);
		return "a #! script naming a missing interpreter";
	case 18:
		strcpy((char *)file, "#!\n");
		len = 3;
		return "a #! line without an interpreter";
	}
	return NULL;
}

/* The number of files make() knows. */
#define BADELF_CASES 19

/* Writes file `n` into `dir` and execs it; returns only if execve fails. */
static void badelf_run(int n, const char *dir)
{
	badelf_dir = dir;
	const char *what = make(n);
	char path[96];
	snprintf(path, sizeof path, "%s/f", dir);
	int fd = MUST(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755));
	if (len)
		MUST(write(fd, file, len));
	MUST(close(fd));
	MUST(chmod(path, 0755));
	printf("case %d: %s (%zu bytes)\n", n, what, len);
	char *args[] = { "f", NULL };
	char *env[] = { NULL };
	SHOW(execve(path, args, env));
}

#endif
