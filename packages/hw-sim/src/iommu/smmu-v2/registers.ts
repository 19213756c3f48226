/**
 * Arm SMMU architecture v2 register offsets and fields, named as Linux names them in
 * drivers/iommu/arm/arm-smmu/arm-smmu.h (offsets and bit positions are the architecture's).
 * GR0 is the first 4 KiB page, GR1 the second; context bank n is page NUMPAGE + n where
 * NUMPAGE = 2^(IDR1.NUMPAGENDXB + 1).
 */

// ---- Global register space 0 (GR0) ----
export const ARM_SMMU_GR0_sCR0 = 0x0;
export const ARM_SMMU_sCR0_VMID16EN = 1 << 31;
export const ARM_SMMU_sCR0_FB = 1 << 13;
export const ARM_SMMU_sCR0_PTM = 1 << 12;
export const ARM_SMMU_sCR0_VMIDPNE = 1 << 11;
export const ARM_SMMU_sCR0_USFCFG = 1 << 10;
export const ARM_SMMU_sCR0_GCFGFIE = 1 << 5;
export const ARM_SMMU_sCR0_GCFGFRE = 1 << 4;
export const ARM_SMMU_sCR0_EXIDENABLE = 1 << 3;
export const ARM_SMMU_sCR0_GFIE = 1 << 2;
export const ARM_SMMU_sCR0_GFRE = 1 << 1;
export const ARM_SMMU_sCR0_CLIENTPD = 1 << 0;

export const ARM_SMMU_GR0_sACR = 0x10;

export const ARM_SMMU_GR0_ID0 = 0x20;
export const ARM_SMMU_ID0_S1TS = 1 << 30;
export const ARM_SMMU_ID0_S2TS = 1 << 29;
export const ARM_SMMU_ID0_NTS = 1 << 28;
export const ARM_SMMU_ID0_SMS = 1 << 27;
export const ARM_SMMU_ID0_ATOSNS = 1 << 26;
export const ARM_SMMU_ID0_PTFS_NO_AARCH32 = 1 << 25;
export const ARM_SMMU_ID0_PTFS_NO_AARCH32S = 1 << 24;
/** NUMIRPT [23:16]. */
export const ARM_SMMU_ID0_NUMIRPT_SHIFT = 16;
export const ARM_SMMU_ID0_CTTW = 1 << 14;
/** NUMSIDB [12:9]. */
export const ARM_SMMU_ID0_NUMSIDB_SHIFT = 9;
export const ARM_SMMU_ID0_EXIDS = 1 << 8;
/** NUMSMRG [7:0]. */
export const ARM_SMMU_ID0_NUMSMRG_SHIFT = 0;

export const ARM_SMMU_GR0_ID1 = 0x24;
export const ARM_SMMU_ID1_PAGESIZE = 1 << 31;
/** NUMPAGENDXB [30:28]. */
export const ARM_SMMU_ID1_NUMPAGENDXB_SHIFT = 28;
/** NUMS2CB [23:16]. */
export const ARM_SMMU_ID1_NUMS2CB_SHIFT = 16;
/** NUMCB [7:0]. */
export const ARM_SMMU_ID1_NUMCB_SHIFT = 0;

export const ARM_SMMU_GR0_ID2 = 0x28;
export const ARM_SMMU_ID2_VMID16 = 1 << 15;
export const ARM_SMMU_ID2_PTFS_64K = 1 << 14;
export const ARM_SMMU_ID2_PTFS_16K = 1 << 13;
export const ARM_SMMU_ID2_PTFS_4K = 1 << 12;
/** UBS [11:8], OAS [7:4], IAS [3:0]: 0=32, 1=36, 2=40, 3=42, 4=44, 5=48 bits. */
export const ARM_SMMU_ID2_UBS_SHIFT = 8;
export const ARM_SMMU_ID2_OAS_SHIFT = 4;
export const ARM_SMMU_ID2_IAS_SHIFT = 0;

export const ARM_SMMU_GR0_ID3 = 0x2c;
export const ARM_SMMU_GR0_ID4 = 0x30;
export const ARM_SMMU_GR0_ID5 = 0x34;
export const ARM_SMMU_GR0_ID6 = 0x38;
export const ARM_SMMU_GR0_ID7 = 0x3c;

export const ARM_SMMU_GR0_sGFAR = 0x40;
export const ARM_SMMU_GR0_sGFSR = 0x48;
export const ARM_SMMU_sGFSR_MULTI = 1 << 31;
export const ARM_SMMU_sGFSR_ICF = 1 << 0;
export const ARM_SMMU_sGFSR_USF = 1 << 1;
export const ARM_SMMU_sGFSR_SMCF = 1 << 2;
export const ARM_SMMU_GR0_sGFSRRESTORE = 0x4c;
export const ARM_SMMU_GR0_sGFSYNR0 = 0x50;
export const ARM_SMMU_sGFSYNR0_WNR = 1 << 1;
export const ARM_SMMU_sGFSYNR0_PNU = 1 << 2;
export const ARM_SMMU_sGFSYNR0_IND = 1 << 3;
export const ARM_SMMU_GR0_sGFSYNR1 = 0x54;
export const ARM_SMMU_GR0_sGFSYNR2 = 0x58;

export const ARM_SMMU_GR0_TLBIVMID = 0x64;
export const ARM_SMMU_GR0_TLBIALLNSNH = 0x68;
export const ARM_SMMU_GR0_TLBIALLH = 0x6c;
export const ARM_SMMU_GR0_sTLBGSYNC = 0x70;
export const ARM_SMMU_GR0_sTLBGSTATUS = 0x74;
export const ARM_SMMU_sTLBGSTATUS_GSACTIVE = 1 << 0;

/** SMR n at 0x800 + 4n: VALID bit 31, MASK [30:16], ID [14:0] (15-bit stream IDs). */
export const ARM_SMMU_GR0_SMR_BASE = 0x800;
export const ARM_SMMU_SMR_VALID = 1 << 31;
export const ARM_SMMU_SMR_MASK_SHIFT = 16;
/** S2CR n at 0xc00 + 4n: PRIVCFG [25:24], TYPE [17:16], CBNDX [7:0]. */
export const ARM_SMMU_GR0_S2CR_BASE = 0xc00;
export const ARM_SMMU_S2CR_TYPE_SHIFT = 16;
export const S2CR_TYPE_TRANS = 0;
export const S2CR_TYPE_BYPASS = 1;
export const S2CR_TYPE_FAULT = 2;
export const ARM_SMMU_S2CR_PRIVCFG_SHIFT = 24;
/** S2CR reset value (TYPE = fault), as the MMU-500 TRM gives it. */
export const ARM_SMMU_S2CR_RESET = S2CR_TYPE_FAULT << ARM_SMMU_S2CR_TYPE_SHIFT;

// ---- Global register space 1 (GR1) ----
/** CBAR n at 0x0 + 4n: IRPTNDX [31:24], TYPE [17:16], VMID [7:0]. */
export const ARM_SMMU_GR1_CBAR_BASE = 0x0;
export const ARM_SMMU_CBAR_TYPE_SHIFT = 16;
export const CBAR_TYPE_S2_TRANS = 0;
export const CBAR_TYPE_S1_TRANS_S2_BYPASS = 1;
export const CBAR_TYPE_S1_TRANS_S2_FAULT = 2;
export const CBAR_TYPE_S1_TRANS_S2_TRANS = 3;
/** CBFRSYNRA n at 0x400 + 4n: stream ID of the last context fault [15:0]. */
export const ARM_SMMU_GR1_CBFRSYNRA_BASE = 0x400;
/** CBA2R n at 0x800 + 4n: VA64 bit 0. */
export const ARM_SMMU_GR1_CBA2R_BASE = 0x800;
export const ARM_SMMU_CBA2R_VA64 = 1 << 0;

// ---- Context bank registers (offsets inside a context bank page) ----
export const ARM_SMMU_CB_SCTLR = 0x0;
export const ARM_SMMU_SCTLR_S1_ASIDPNE = 1 << 12;
export const ARM_SMMU_SCTLR_HUPCF = 1 << 8;
export const ARM_SMMU_SCTLR_CFCFG = 1 << 7;
export const ARM_SMMU_SCTLR_CFIE = 1 << 6;
export const ARM_SMMU_SCTLR_CFRE = 1 << 5;
export const ARM_SMMU_SCTLR_E = 1 << 4;
export const ARM_SMMU_SCTLR_AFFD = 1 << 3;
export const ARM_SMMU_SCTLR_AFE = 1 << 2;
export const ARM_SMMU_SCTLR_TRE = 1 << 1;
export const ARM_SMMU_SCTLR_M = 1 << 0;
export const ARM_SMMU_CB_ACTLR = 0x4;
export const ARM_SMMU_CB_RESUME = 0x8;
export const ARM_SMMU_RESUME_TERMINATE = 1 << 0;
export const ARM_SMMU_CB_TCR2 = 0x10;
/** TCR2.PASIZE [3:0]: 0=32, 1=36, 2=40, 3=42, 4=44, 5=48, 6=52 bits. */
export const ARM_SMMU_TCR2_PASIZE_MASK = 0xf;
/**
 * TCR2.AS (bit 4): 16-bit ASIDs for an AArch64 context; 0 means 8-bit ASIDs (TTBR0[55:48]
 * and the ASID field of TLBI operands are used, bits [63:56] ignored). Linux sets it for every
 * AArch64 context (arm_smmu_init_context_bank).
 */
export const ARM_SMMU_TCR2_AS = 1 << 4;
export const ARM_SMMU_CB_TTBR0 = 0x20;
export const ARM_SMMU_CB_TTBR1 = 0x28;
export const ARM_SMMU_CB_TCR = 0x30;
export const ARM_SMMU_TCR_EAE = 1 << 31;
export const ARM_SMMU_TCR_EPD1 = 1 << 23;
export const ARM_SMMU_TCR_EPD0 = 1 << 7;
export const ARM_SMMU_CB_CONTEXTIDR = 0x34;
/** MAIR0/1 (PRRR/NMRR when the context uses short descriptors). */
export const ARM_SMMU_CB_S1_MAIR0 = 0x38;
export const ARM_SMMU_CB_S1_MAIR1 = 0x3c;
export const ARM_SMMU_CB_PAR = 0x50;
export const ARM_SMMU_CB_FSR = 0x58;
export const ARM_SMMU_FSR_MULTI = 1 << 31;
export const ARM_SMMU_FSR_SS = 1 << 30;
export const ARM_SMMU_FSR_UUT = 1 << 8;
export const ARM_SMMU_FSR_ASF = 1 << 7;
export const ARM_SMMU_FSR_TLBLKF = 1 << 6;
export const ARM_SMMU_FSR_TLBMCF = 1 << 5;
export const ARM_SMMU_FSR_EF = 1 << 4;
export const ARM_SMMU_FSR_PF = 1 << 3;
export const ARM_SMMU_FSR_AFF = 1 << 2;
export const ARM_SMMU_FSR_TF = 1 << 1;
/** FSR.FORMAT [10:9]: the descriptor format of the faulting context (0 short, 1 AArch32 LPAE, 2 AArch64). */
export const ARM_SMMU_FSR_FORMAT_SHIFT = 9;
/** The bits Linux treats as "a fault is recorded" (ARM_SMMU_FSR_FAULT). */
export const ARM_SMMU_FSR_FAULT =
  (ARM_SMMU_FSR_MULTI |
    ARM_SMMU_FSR_SS |
    ARM_SMMU_FSR_UUT |
    ARM_SMMU_FSR_EF |
    ARM_SMMU_FSR_PF |
    ARM_SMMU_FSR_TF |
    ARM_SMMU_FSR_AFF |
    ARM_SMMU_FSR_ASF |
    ARM_SMMU_FSR_TLBMCF |
    ARM_SMMU_FSR_TLBLKF) >>>
  0;
export const ARM_SMMU_CB_FSRRESTORE = 0x5c;
export const ARM_SMMU_CB_FAR = 0x60;
export const ARM_SMMU_CB_FSYNR0 = 0x68;
/** FSYNR0: PLVL [1:0], WNR 4, PNU 5, IND 6, NSSTATE 7, NSATTR 8, ATOF 9, PTWF 10, AFR 11, S1CBNDX [23:16]. */
export const ARM_SMMU_FSYNR0_PLVL_MASK = 0x3;
export const ARM_SMMU_FSYNR0_WNR = 1 << 4;
export const ARM_SMMU_FSYNR0_PNU = 1 << 5;
export const ARM_SMMU_FSYNR0_IND = 1 << 6;
export const ARM_SMMU_FSYNR0_NSATTR = 1 << 8;
export const ARM_SMMU_FSYNR0_PTWF = 1 << 10;
export const ARM_SMMU_FSYNR0_AFR = 1 << 11;
export const ARM_SMMU_CB_FSYNR1 = 0x6c;
export const ARM_SMMU_CB_S1_TLBIVA = 0x600;
export const ARM_SMMU_CB_S1_TLBIVAA = 0x608;
export const ARM_SMMU_CB_S1_TLBIASID = 0x610;
export const ARM_SMMU_CB_S1_TLBIALL = 0x618;
export const ARM_SMMU_CB_S1_TLBIVAL = 0x620;
export const ARM_SMMU_CB_S1_TLBIVAAL = 0x628;
export const ARM_SMMU_CB_S2_TLBIIPAS2 = 0x630;
export const ARM_SMMU_CB_S2_TLBIIPAS2L = 0x638;
export const ARM_SMMU_CB_TLBSYNC = 0x7f0;
export const ARM_SMMU_CB_TLBSTATUS = 0x7f4;
export const ARM_SMMU_TLBSTATUS_SACTIVE = 1 << 0;

/** ID2/TCR2/VTCR size encodings 0..6 as bit counts. */
export const ARM_SMMU_SIZE_BITS: readonly number[] = [32, 36, 40, 42, 44, 48, 52];

/** The encoding of `bits` in an ID2.IAS/OAS/UBS or TCR2.PASIZE field, or -1. */
export function smmuSizeEncoding(bits: number): number {
  return ARM_SMMU_SIZE_BITS.indexOf(bits);
}
