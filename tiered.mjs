// `moka-js/tiered` (ES modules): the same objects as the CommonJS entry.
import api from './tiered.js'

export const { TieredCache, TierError, PayloadError } = api
export default api
