export { AssignmentService } from './service';
export { BufferedExposureLog } from './exposures';
export type { Exposure, ExposureLog } from './exposures';
