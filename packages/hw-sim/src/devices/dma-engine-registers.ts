/**
 * Register map of the socmem DmaEngine (a device of this project's design, in the style of a
 * simple memory-to-memory DMA controller). All registers are 32 bits; 64-bit addresses are
 * split into LO/HI words.
 */
export const DMA_ENGINE_MMIO_SIZE = 0x1000;
/** RO: identification, 0x444d_4131 ("DMA1"). */
export const DMA_REG_ID = 0x00;
export const DMA_ENGINE_ID_VALUE = 0x444d_4131;
/** CTRL: START bit 0 (write 1 to queue the job), OP bit 1 (0 copy, 1 fill), ABORT bit 4. Reads 0 in START/ABORT. */
export const DMA_REG_CTRL = 0x04;
export const DMA_CTRL_START = 1 << 0;
export const DMA_CTRL_OP_FILL = 1 << 1;
export const DMA_CTRL_ABORT = 1 << 4;
/** STATUS: BUSY bit 0, DONE bit 1 (W1C), ERROR bit 2 (W1C), STALLED bit 3. */
export const DMA_REG_STATUS = 0x08;
export const DMA_STATUS_BUSY = 1 << 0;
export const DMA_STATUS_DONE = 1 << 1;
export const DMA_STATUS_ERROR = 1 << 2;
export const DMA_STATUS_STALLED = 1 << 3;
/** INT_ENABLE: DONE bit 0, ERROR bit 1. Reset value 0x3 (both interrupts enabled). */
export const DMA_REG_INT_ENABLE = 0x0c;
export const DMA_INT_DONE = 1 << 0;
export const DMA_INT_ERROR = 1 << 1;
export const DMA_REG_SRC_LO = 0x10;
export const DMA_REG_SRC_HI = 0x14;
export const DMA_REG_DST_LO = 0x18;
export const DMA_REG_DST_HI = 0x1c;
/** LEN: bytes to copy or fill. */
export const DMA_REG_LEN = 0x20;
/** FILL: the fill byte in [7:0]. */
export const DMA_REG_FILL = 0x24;
/** RO: bytes transferred by the current or last job. */
export const DMA_REG_BYTES_DONE = 0x28;
/** RO: bus-master address where the last job stopped on an error. */
export const DMA_REG_FAULT_ADDR_LO = 0x30;
export const DMA_REG_FAULT_ADDR_HI = 0x34;
/** RO: error code [7:0] (DMA_ERROR_*), table level [11:8], 1 in bit 12 when the fault was on the destination. */
export const DMA_REG_ERROR_INFO = 0x38;

/** Error codes in ERROR_INFO[7:0]. */
export const DMA_ERROR_NONE = 0;
export const DMA_ERROR_TRANSLATION = 1;
export const DMA_ERROR_ACCESS_FLAG = 2;
export const DMA_ERROR_PERMISSION = 3;
export const DMA_ERROR_ADDRESS_SIZE = 4;
export const DMA_ERROR_EXTERNAL_ABORT = 5;
export const DMA_ERROR_ADDRESS_LIMIT = 6;
export const DMA_ERROR_ABORTED = 7;
