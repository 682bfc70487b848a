/*
 * Atoll counter guest: a 512-byte x86 boot sector (real mode, GNU as).
 *
 * Build:  as --32 -o counter.o counter.S
 *         ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o counter.img counter.o
 *
 * On COM1 (0x3f8, 115200 8N1, polled) it prints
 *     ATOLL-COUNTER BOOT
 * once (preceded by an empty line, so it starts a line even after firmware
 * output), then forever
 *     ATOLL-COUNTER <n>        (n = 1, 2, 3, ... decimal, 32-bit)
 * one line per BIOS timer tick (0040:006C, 18.2 Hz), i.e. ~18 lines a
 * second whatever the CPU speed. Lines end in "\r\n". The counter lives in
 * RAM (inside this sector at 0x7c00+), so it survives pause/resume, memory
 * snapshots and live migration.
 */
        .code16
        .text
        .globl  _start
_start:
        cli
        xorw    %ax, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movw    $0x7c00, %sp
        ljmp    $0, $start              /* normalise CS:IP to 0000:7cxx */
start:
        cld
        /* COM1: no UART interrupts, 115200 baud (divisor 1), 8N1, FIFOs on. */
        movw    $0x3f9, %dx             /* IER */
        xorb    %al, %al
        outb    %al, %dx
        movw    $0x3fb, %dx             /* LCR: DLAB=1 */
        movb    $0x80, %al
        outb    %al, %dx
        movw    $0x3f8, %dx             /* divisor low */
        movb    $1, %al
        outb    %al, %dx
        movw    $0x3f9, %dx             /* divisor high */
        xorb    %al, %al
        outb    %al, %dx
        movw    $0x3fb, %dx             /* LCR: 8N1, DLAB=0 */
        movb    $0x03, %al
        outb    %al, %dx
        movw    $0x3fa, %dx             /* FCR: enable + clear FIFOs */
        movb    $0xc7, %al
        outb    %al, %dx
        movw    $0x3fc, %dx             /* MCR: DTR, RTS */
        movb    $0x03, %al
        outb    %al, %dx

        sti                             /* the BIOS timer tick needs IRQ0 */

        /* Under -nographic SeaBIOS' serial console still flushes its screen
         * ("...Booting from Hard Disk...") from the timer interrupt; let it
         * finish (two ticks) so it cannot split our first lines. */
        call    tick
        call    tick

        movw    $msg_boot, %si
        call    puts
        movl    $1, counter

line:
        movw    $msg_prefix, %si
        call    puts
        movl    counter, %eax
        call    putdec
        movw    $msg_crlf, %si
        call    puts
        incl    counter
        call    tick
        jmp     line

/* Wait for the next BIOS tick (dword at 0040:006C == 0000:046C). */
tick:
        movl    0x046c, %ebx
1:      hlt
        cmpl    0x046c, %ebx
        je      1b
        ret

/* Print the NUL-terminated string at %si. */
puts:
        lodsb
        testb   %al, %al
        jz      2f
        call    putc
        jmp     puts
2:      ret

/* Print %eax as unsigned decimal. Clobbers eax, ebx, ecx, edx. */
putdec:
        movl    $10, %ecx
        xorw    %bx, %bx                /* digit count */
3:      xorl    %edx, %edx
        divl    %ecx
        pushw   %dx
        incw    %bx
        testl   %eax, %eax
        jnz     3b
4:      popw    %ax
        addb    $'0', %al
        call    putc
        decw    %bx
        jnz     4b
        ret

/* Send %al on COM1, polling LSR bit 5 (transmit holding register empty). */
putc:
        pushw   %dx
        pushw   %ax
        movw    $0x3fd, %dx
5:      inb     %dx, %al
        testb   $0x20, %al
        jz      5b
        popw    %ax
        movw    $0x3f8, %dx
        outb    %al, %dx
        popw    %dx
        ret

msg_boot:       .asciz  "\r\nATOLL-COUNTER BOOT\r\n"
msg_prefix:     .asciz  "ATOLL-COUNTER "
msg_crlf:       .asciz  "\r\n"
        .balign 4
counter:        .long   0

        .org    510
        .word   0xaa55
