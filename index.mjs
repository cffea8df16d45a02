// Public entry (ES modules): the same objects as the CommonJS entry.
import api from './index.js'

export const { Moka } = api
export default api
