<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><r><xsl:call-template name="rep"><xsl:with-param name="n" select="5"/><xsl:with-param name="s">ab</xsl:with-param></xsl:call-template></r></xsl:template><xsl:template name="rep"><xsl:param name="n" select="1"/><xsl:param name="s" select="'x'"/><xsl:param name="unused" select="'u'"/><xsl:if test="$n &gt; 0"><i n="{$n}"><xsl:value-of select="concat($s,$unused)"/></i><xsl:call-template name="rep"><xsl:with-param name="n" select="$n - 1"/><xsl:with-param name="s" select="$s"/></xsl:call-template></xsl:if></xsl:template>
</xsl:stylesheet>
